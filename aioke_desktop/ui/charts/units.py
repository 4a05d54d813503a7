"""Numbers as a chart or a table cell shows them, and the colours of lines and changes.

Values arrive in display units already (milliseconds, requests per second, percent); this
module only writes them short and honest: "∞" for an infinite value, "—" for none.
"""

from __future__ import annotations

import enum
import html
import math
from collections.abc import Sequence
from datetime import datetime


class Unit(enum.Enum):
    """What a chart's y axis counts; the value is the suffix shown after a number."""

    MS = "ms"
    PER_SECOND = "req/s"
    PERCENT = "%"
    TIMES = "×"  # a burn rate: how many times faster than planned the budget goes


NO_VALUE = "—"
INFINITE = "∞"

# Okabe and Ito's colour-blind-safe set, minus yellow and black (unreadable on white or on
# dark grey); each keeps at least 3:1 against both themes' chart backgrounds.
LINE_COLOURS = ("#0072b2", "#e69f00", "#d55e00", "#009e73", "#cc79a7", "#56b4e9", "#8c6d31")
# Markers of changes, by what changed.
CHANGE_COLOURS = {
    "flag": "#6f42c1",
    "breaker": "#bf8700",
    "chaos": "#cf222e",
    "runbook": "#0969da",
    "service": "#1a7f37",
}
CHANGE_FALLBACK = "#6e7781"


def line_colour(index: int) -> str:
    return LINE_COLOURS[index % len(LINE_COLOURS)]


def compact(value: float) -> str:
    """Three significant digits, with k and M for large numbers: ``0.52``, ``12.3``, ``1.2k``."""
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.3g}M"
    if size >= 1e4:
        return f"{value / 1e3:.3g}k"
    if size >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


def format_value(value: float | None, unit: Unit, *, with_unit: bool = True) -> str:
    """``12.3 ms``, ``1.2 s``, ``450 req/s``, ``0.12 %``; "∞" and "—" as they are."""
    if value is None or math.isnan(value):
        return NO_VALUE
    if math.isinf(value):
        return INFINITE if value > 0 else f"-{INFINITE}"
    if unit is Unit.MS and abs(value) >= 1000:
        text, suffix = compact(value / 1000), "s"
    else:
        text, suffix = compact(value), unit.value
    if not with_unit:
        return text
    return f"{text}{suffix}" if unit in (Unit.PERCENT, Unit.TIMES) else f"{text} {suffix}"


def clock(when: float) -> str:
    """``14:03:25`` in local time ("" for a time no calendar holds, far off in a pan)."""
    try:
        return f"{datetime.fromtimestamp(when):%H:%M:%S}"
    except (OverflowError, OSError, ValueError):
        return ""


def readout_html(
    entries: Sequence[tuple[str, float, str, bool]],
    unit: Unit,
    when: float | None,
    text: str,
    stale: bool = False,
) -> str:
    """A chart's legend and readout in one line of rich text: for each line (label, value,
    colour, hidden) its colour swatch, name and value, each a link that toggles the line;
    a hidden line struck through. Stale values are the "last" ones, not "now"."""
    parts = []
    for number, (label, value, colour, hidden) in enumerate(entries):
        name = html.escape(f"{label} {format_value(value, unit)}")
        parts.append(
            f'<a href="line:{number}" style="color:{text}; text-decoration:none">'
            f'<span style="color:{colour}">■</span>&nbsp;{f"<s>{name}</s>" if hidden else name}</a>'
        )
    stamp = ("last" if stale else "now") if when is None else clock(when)
    return f"{stamp} · " + " · ".join(parts) if parts else ""
