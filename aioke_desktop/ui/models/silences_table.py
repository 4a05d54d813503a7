"""The silences table: who muted what, why, and until when (counting down)."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel

from ...core.alert_state import parse_time
from ...core.alerts import Matcher, Silence
from ..theme import StatusColours
from .rows import ITEM_ROLE, SORT_ROLE, Column, KeyedRowsModel, clock_text, countdown

STATE_TONES = {"active": "warning", "pending": None, "expired": "unknown"}
_STATE_ORDER = {"active": 0, "pending": 1, "expired": 2}
MISSING = float("inf")


def matcher_text(matcher: Matcher) -> str:
    operator = {(True, False): "=", (True, True): "=~", (False, False): "!=", (False, True): "!~"}
    return f"{matcher.name}{operator[(matcher.is_equal, matcher.is_regex)]}{matcher.value}"


def matchers_text(silence: Silence) -> str:
    return ", ".join(matcher_text(m) for m in silence.matchers)


def _ends(silence: Silence, now: float) -> str:
    ends = parse_time(silence.ends_at)
    if ends is None:
        return "—"
    if silence.state == "expired" or ends <= now:
        return f"ended {clock_text(ends)}"
    return f"{clock_text(ends)} (in {countdown(ends - now)})"


def _starts(silence: Silence, now: float) -> str:
    starts = parse_time(silence.starts_at)
    if starts is None:
        return "—"
    return (
        clock_text(starts)
        if starts <= now
        else f"{clock_text(starts)} (in {countdown(starts - now)})"
    )


COLUMNS: tuple[Column[Silence], ...] = (
    Column(
        "State",
        lambda s, _: s.state.capitalize(),
        sort=lambda s, _: _STATE_ORDER.get(s.state, 9),
        tone=lambda s: STATE_TONES.get(s.state),
    ),
    Column("Matches", lambda s, _: matchers_text(s), tooltip=lambda s, _: matchers_text(s)),
    Column("Created by", lambda s, _: s.created_by or "—"),
    Column("Comment", lambda s, _: s.comment, tooltip=lambda s, _: s.comment),
    Column("Starts", _starts, sort=lambda s, _: parse_time(s.starts_at) or MISSING, timed=True),
    Column("Ends", _ends, sort=lambda s, _: parse_time(s.ends_at) or MISSING, timed=True),
    Column("ID", lambda s, _: s.id[:8], tooltip=lambda s, _: s.id),
)
MATCHES_COLUMN, COMMENT_COLUMN = 1, 3


class SilencesTableModel(KeyedRowsModel[Silence]):
    """Every silence Alertmanager keeps (expired ones too, for a few days), keyed by id."""

    def __init__(
        self,
        colours: StatusColours,
        now: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(COLUMNS, lambda s: s.id, colours, now, parent)


class SilenceFilter(QSortFilterProxyModel):
    """Hides expired silences unless asked for them."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.show_expired = False
        self.setSortRole(SORT_ROLE)

    def set_show_expired(self, show: bool) -> None:
        self.beginFilterChange()
        self.show_expired = show
        self.endFilterChange()

    def filterAcceptsRow(  # noqa: N802 - Qt API
        self, row: int, parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        silence = self.sourceModel().index(row, 0, parent).data(ITEM_ROLE)
        if not isinstance(silence, Silence):
            return False
        return self.show_expired or silence.state != "expired"
