"""What every benchmark reports: one figure, its target, and how it compares with the way
peers do the same work (a full refetch every refresh, every panel redrawn in one slot)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One measured figure.

    id: the issue's id, "B1" … "B8", with a suffix for a second figure ("B3b").
    what: what was measured, in the user's words.
    value: the median over the runs, in ``unit``.
    target: the target as written in the issue, e.g. "≤ 2.5× json.loads".
    met: whether ``value`` meets the target; None when the figure has no target.
    peer: the same figure measured the peers' way in the same run, when there is one.
    runs: every run's value, so that the spread is visible.
    peer_way: what ``peer`` measured ("a full refetch every refresh").
    note: what else a reader needs: a breakdown, the sizes, why a target is missed.
    error: why the figure could not be measured (then ``value`` is NaN).
    """

    id: str
    what: str
    value: float
    unit: str
    target: str
    met: bool | None
    peer: float | None = None
    runs: tuple[float, ...] = ()
    peer_way: str = ""
    note: str = ""
    error: str = ""

    @property
    def ratio_to_peer(self) -> float | None:
        if self.peer is None or self.peer == 0:
            return None
        return self.value / self.peer

    def as_json(self) -> dict[str, Any]:
        # Strict JSON has no NaN: a figure not measured is null.
        found: dict[str, Any] = _finite({**asdict(self), "ratio_to_peer": self.ratio_to_peer})
        return found


def not_measured(id: str, what: str, reason: str) -> Figure:
    """A figure that could not be measured, saying why (the table shows it)."""
    return Figure(id, what, math.nan, "", "", None, error=reason)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
