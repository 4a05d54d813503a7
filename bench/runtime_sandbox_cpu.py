"""B8: CPU of the sandbox at rest: its workload and control plane, with no client asking.

Read from ``/proc/PID/stat`` (utime + stime) of the sandbox's own process and its control
plane's over 60 s windows (5 s in quick mode), after the start has settled. Prometheus and
Alertmanager, which the sandbox also runs, are reported beside it without a target.

    python -m bench.runtime_sandbox_cpu [--quick] [--runs N]
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from .figures import Figure
from .runtime_dashboard import median, run_alone
from .sandbox import running_sandbox

WINDOW_S = 60.0
QUICK_WINDOW_S = 5.0
SETTLE_S = 20.0  # the start's own work (rules loading, first scrapes) is not "at rest"
QUICK_SETTLE_S = 5.0
TARGET_PERCENT = 15.0
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()  # the name may hold spaces
    return (int(fields[11]) + int(fields[12])) / TICKS


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def _split(status: dict[str, Any]) -> tuple[list[int], list[int]]:
    """(workload and control plane, everything the sandbox runs)."""
    own = [int(status["pid"])]
    if status.get("control_plane_pid"):
        own += descendants(int(status["control_plane_pid"]))
    return own, descendants(int(status["pid"]))


def measure(quick: bool, runs: int) -> list[Figure]:
    window = QUICK_WINDOW_S if quick else WINDOW_S
    own_runs: list[float] = []
    all_runs: list[float] = []
    with running_sandbox() as status:
        time.sleep(QUICK_SETTLE_S if quick else SETTLE_S)
        own, everything = _split(status)
        for _ in range(1 if quick else runs):
            before = {p: cpu_seconds(p) for p in everything}
            began = time.monotonic()
            time.sleep(window)
            elapsed = time.monotonic() - began
            used = {p: cpu_seconds(p) - before[p] for p in everything}
            own_runs.append(100 * sum(used[p] for p in own if p in used) / elapsed)
            all_runs.append(100 * sum(used.values()) / elapsed)
    value = median(own_runs)
    return [
        Figure(
            "B8", f"CPU of the sandbox at rest: workload + control plane ({window:g} s windows)",
            value, "% of a core", f"≤ {TARGET_PERCENT:g} %", value <= TARGET_PERCENT,
            runs=tuple(own_runs),
        ),
        Figure(
            "B8b", "CPU of the whole sandbox at rest, with Prometheus and Alertmanager",
            median(all_runs), "% of a core", "none", None, runs=tuple(all_runs),
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    run_alone("bench.runtime_sandbox_cpu", measure)
