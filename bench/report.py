"""The results as a table on the terminal (and in the README) and as JSON."""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .figures import Figure

COLUMNS = ("id", "what", "ours", "target", "met", "peers' way", "peers", "ratio")


def _number(value: float | None, unit: str = "") -> str:
    if value is None or not math.isfinite(value):
        return "—"
    text = f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{text} {unit}".strip()


def row(figure: Figure) -> tuple[str, ...]:
    if figure.error:
        return (figure.id, figure.what, "not measured", figure.target, "—", "", "", figure.error)
    met = {True: "yes", False: "**missed**", None: "—"}[figure.met]
    ratio = figure.ratio_to_peer
    return (
        figure.id,
        figure.what,
        _number(figure.value, figure.unit),
        figure.target or "—",
        met,
        figure.peer_way or "—",
        _number(figure.peer, figure.unit),
        "—" if ratio is None else f"{ratio:.2f}×",
    )


def markdown(figures: Sequence[Figure]) -> str:
    """The table as Markdown (what the README shows)."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row(f)) + " |" for f in figures]
    return "\n".join(lines)


def print_table(figures: Sequence[Figure]) -> None:
    rows = [COLUMNS, *(row(f) for f in figures)]
    widths = [min(48, max(len(r[i]) for r in rows)) for i in range(len(COLUMNS))]
    for r in rows:
        print("  ".join(cell[:48].ljust(w) for cell, w in zip(r, widths, strict=True)))
    notes = [f for f in figures if f.note]
    if notes:
        print()
        for f in notes:
            print(f"{f.id}: {f.note}")


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        ram_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        ram_kib = 0

    found: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "ram_gib": round(ram_kib / 1024**2, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        import numpy
        import pyqtgraph
        import PySide6
        from PySide6.QtCore import qVersion

        found.update(qt=qVersion(), pyside6=PySide6.__version__, pyqtgraph=pyqtgraph.__version__,
                     numpy=numpy.__version__)  # fmt: skip
    except ImportError:
        pass
    found["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return found


def write_json(path: Path, figures: Sequence[Figure], settings: dict[str, Any]) -> None:
    document = {
        "machine": machine(),
        "settings": settings,
        "command": " ".join([Path(sys.executable).name, "-m", "bench", *sys.argv[1:]]),
        "figures": [f.as_json() for f in figures],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def figures_from_json(path: Path) -> list[Figure]:
    """The figures of a results file (what ``--json`` wrote)."""
    fields = set(Figure.__dataclass_fields__)
    found = []
    for item in json.loads(path.read_text())["figures"]:
        values = {k: v for k, v in item.items() if k in fields}
        values["value"] = math.nan if values["value"] is None else values["value"]
        values["runs"] = tuple(math.nan if r is None else r for r in values.get("runs", ()))
        found.append(Figure(**values))
    return found


if __name__ == "__main__":  # python -m bench.report bench/results.json: the README's table
    print(markdown(figures_from_json(Path(sys.argv[1]))))
