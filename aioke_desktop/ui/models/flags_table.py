"""The Flags page's table: one row a flag, kept current by polls and by the event feed.

Two sources update it (a poll's whole list, an event's single flag) and their answers can
cross on the way: a row only ever moves to a *newer* version of its flag, so a slow poll
cannot put back what an event already replaced.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt

from ...core.flag_ramps import FlagRamp, ramp_badge, ramp_tone
from ...core.flags import Flag
from ..theme import StatusColours
from ..when import local_time_text
from .rows import ITEM_ROLE, SORT_ROLE, Column, KeyedRowsModel

BADGES = {
    "stale": (
        "Stale",
        "Unchanged for longer than a flag of this type usually lives: is it still needed?",
    ),
    "cleanup": (
        "Clean up",
        "Fully rolled out for 14 days: take the flag out of the code and archive it.",
    ),
}


def variants_text(flag: Flag) -> str:
    return " / ".join(f"{v.name} {v.weight} %" for v in flag.variants) or "—"


def dependency_text(flag: Flag) -> str:
    parent = flag.depends_on
    if parent is None:
        return "—"
    if parent.variants:
        return f"{parent.flag} ({', '.join(parent.variants)})"
    return parent.flag


def _ramp_tooltip(ramp: FlagRamp | None) -> str:
    if ramp is None:
        return "No ramp: “Ramp…” rolls the flag out step by step, gated on a burn rate."
    steps = " → ".join(str(s) for s in ramp.steps)
    return f"{steps} % gated on {ramp.service}; {ramp.last_reason or ''}".strip("; ")


def _rollout(flag: Flag) -> str:
    return f"{flag.rollout_percentage} %"


class FlagsTableModel(KeyedRowsModel[Flag]):
    """Flags by key: key, type, on/off, rollout, variants, parent, owner, last change, badge,
    and the state of the flag's rollout ramp.

    Args:
        colours: the theme's status colours.
        last_actor: who made a flag's latest change, when known (from the event feed).
        ramp_of: the flag's newest ramp, when it has one.
        now: the server's clock, for when a ramp's next decision falls due.
    """

    def __init__(
        self,
        colours: StatusColours,
        last_actor: Callable[[str], str | None] = lambda _key: None,
        parent: QObject | None = None,
        ramp_of: Callable[[str], FlagRamp | None] = lambda _key: None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._last_actor = last_actor
        self._ramp_of = ramp_of
        columns: list[Column[Flag]] = [
            Column("Key", lambda f, _: f.key, tooltip=lambda f, _: f.description),
            Column("Type", lambda f, _: f.type),
            Column(
                "Enabled",
                lambda f, _: "On" if f.enabled else "Off",
                tone=lambda f: "ok" if f.enabled else "muted_text",
            ),
            Column(
                "Rollout",
                lambda f, _: _rollout(f),
                sort=lambda f, _: f.rollout_percentage,
                numeric=True,
            ),
            Column("Variants", lambda f, _: variants_text(f)),
            Column("Depends on", lambda f, _: dependency_text(f)),
            Column("Owner", lambda f, _: f.owner),
            Column(
                "Last change",
                self._last_change,
                sort=lambda f, _: f.updated_at,
                tooltip=lambda f, _: f"Version {f.version}, changed {f.updated_at}",
            ),
            Column(
                "Badge",
                lambda f, _: BADGES[f.stale][0] if f.stale in BADGES else "",
                tone=lambda f: "warning" if f.stale else None,
                tooltip=lambda f, _: BADGES[f.stale][1] if f.stale in BADGES else "",
            ),
            Column(
                "Ramp",
                lambda f, now: ramp_badge(ramp_of(f.key), now),
                tone=lambda f: ramp_tone(ramp_of(f.key)),
                tooltip=lambda f, _: _ramp_tooltip(ramp_of(f.key)),
            ),
        ]
        super().__init__(columns, lambda f: f.key, colours, now, parent)

    def _last_change(self, flag: Flag, _now: float) -> str:
        when = local_time_text(flag.updated_at)
        who = self._last_actor(flag.key)
        return f"{when} by {who}" if who else when

    def replace(self, items: Sequence[Flag]) -> None:
        """Show the flags of a poll, keeping any row already newer than the poll's."""
        shown = {flag.key: flag for flag in self.items()}

        def newest(flag: Flag) -> Flag:
            old = shown.get(flag.key)
            return old if old is not None and old.version > flag.version else flag

        super().replace([newest(flag) for flag in items])

    def upsert(self, flag: Flag, *, same_version_too: bool = True) -> None:
        """One flag from an action's answer or a fetch (``same_version_too``: it is current,
        badges and all), or from an event (a snapshot of its time: only a newer version
        counts). An older version is ignored either way."""
        row = self.row_of(flag.key)
        if row is None:
            super().replace([*self.items(), flag])
        elif self.item(row).version < flag.version or (
            same_version_too and self.item(row).version == flag.version
        ):
            items = self.items()
            items[row] = flag
            super().replace(items)

    def remove(self, key: str) -> None:
        super().replace([flag for flag in self.items() if flag.key != key])

    def refresh_last_change(self, title: str = "Last change") -> None:
        """Redraw the "Last change" column (who changed a flag became known), or another
        column drawn from outside the flag (``"Ramp"``)."""
        if self.rowCount():
            column = [c.title for c in self.columns].index(title)
            last = self.rowCount() - 1
            roles = [Qt.ItemDataRole.DisplayRole]
            if title != "Last change":  # a ramp's badge changes colour and tooltip too
                roles += [Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.ToolTipRole]
            self.dataChanged.emit(self.index(0, column), self.index(last, column), roles)


Index = QModelIndex | QPersistentModelIndex


class FlagsFilter(QSortFilterProxyModel):
    """Sorting by the model's sort values, a text filter over key, owner and description,
    and "stale flags only"."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._text = ""
        self._stale_only = False

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_stale_only(self, on: bool) -> None:
        self.beginFilterChange()
        self._stale_only = on
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: N802
        model = self.sourceModel()
        flag = model.data(model.index(source_row, 0, source_parent), ITEM_ROLE)
        if not isinstance(flag, Flag):
            return False
        if self._stale_only and flag.stale is None:
            return False
        if self._text:
            haystack = f"{flag.key} {flag.owner} {flag.description} {flag.type}".lower()
            return self._text in haystack
        return True
