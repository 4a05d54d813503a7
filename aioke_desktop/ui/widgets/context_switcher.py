"""The toolbar's context switcher: which cluster the window shows."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QWidget

from ...core.contexts import Context

NO_CONTEXT = "No cluster configured"


class ContextSwitcher(QComboBox):
    """Lists the contexts from the settings file; a production one is marked as such.

    Signals:
        context_chosen(str): the user picked another context, by name.
    """

    context_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setToolTip("Cluster (context) shown in this window")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setMinimumContentsLength(12)
        self.activated.connect(self._chosen)
        self.set_contexts((), None)

    def set_contexts(self, contexts: Sequence[Context], current: str | None) -> None:
        """Fill the list without emitting; ``current`` is selected when it is there."""
        self.blockSignals(True)
        self.clear()
        for context in contexts:
            label = f"{context.name} (production)" if context.production else context.name
            self.addItem(label, context.name)
        if not contexts:
            self.addItem(NO_CONTEXT, None)
        self.setEnabled(bool(contexts))
        index = self.findData(current) if current is not None else -1
        self.setCurrentIndex(max(0, index))
        self.blockSignals(False)

    def current_name(self) -> str | None:
        name = self.currentData()
        return name if isinstance(name, str) else None

    def names(self) -> list[str]:
        return [n for n in (self.itemData(i) for i in range(self.count())) if isinstance(n, str)]

    def _chosen(self, index: int) -> None:
        name = self.itemData(index)
        if isinstance(name, str):
            self.context_chosen.emit(name)
