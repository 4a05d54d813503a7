"""Whether the audit log's hash chain is intact, said so that a break cannot be missed."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from ...core.activity import AuditVerification
from ..theme import LIGHT, StatusColours


def chain_sentence(result: AuditVerification | None) -> str:
    if result is None:
        return "Chain: not verified yet."
    if result.ok:
        count = f"{result.count:,}"
        return f"✔ Chain intact: all {count} entries verified."
    where = f"entry #{result.first_bad_seq}" if result.first_bad_seq else "an unknown entry"
    return (
        f"✖ The audit chain is broken at {where}: it was changed, removed or reordered "
        "outside the control plane, so it and every later entry cannot be trusted."
    )


class ChainStatus(QLabel):
    """One line: green when the chain verifies, a red band naming the first bad entry."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(chain_sentence(None), parent)
        self.setObjectName("chain-status")
        self.setWordWrap(True)
        self._colours = LIGHT
        self.result: AuditVerification | None = None
        self._paint()

    def show_result(self, result: AuditVerification | None) -> None:
        self.result = result
        self.setText(chain_sentence(result))
        self._paint()

    def set_colours(self, colours: StatusColours) -> None:
        self._colours = colours
        self._paint()

    def _paint(self) -> None:
        result = self.result
        if result is not None and not result.ok:
            self.setStyleSheet(
                f"background: {self._colours.banner_danger_bg}; "
                f"color: {self._colours.banner_text}; font-weight: 600; padding: 8px;"
            )
        elif result is not None:
            self.setStyleSheet(f"color: {self._colours.ok}; padding: 2px 0;")
        else:
            self.setStyleSheet(f"color: {self._colours.muted_text}; padding: 2px 0;")
