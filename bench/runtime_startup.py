"""B6: launch to the first painted window, and to the first chart with data.

The app is started as a user starts it (``python -m aioke_desktop`` from the venv, and the
PyInstaller bundle's ``aioke-desktop`` when one is given) with ``AIOKE_STARTUP_TRACE``, which
makes it note both moments (``aioke_desktop/ui/startup_trace.py``). First paint: a fresh
configuration, no context. First chart: ``--demo`` against a sandbox already running (the
demo reuses it and logs in by itself), so the figure holds the app's start, its login and its
first full fetch, not the sandbox's. Each launch waits for a new TOTP step: a code is
accepted once.

    python -m bench.runtime_startup [--quick] [--runs N] [--bundle dist/aioke-desktop/aioke-desktop]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .figures import Figure
from .report import print_table
from .runtime_dashboard import REFRESH_S, median
from .sandbox import running_sandbox

ENV_BUNDLE = "AIOKE_BENCH_BUNDLE"  # the bundle's executable, for `python -m bench`
FIRST_PAINT_TARGET_S = 1.0
LAUNCH_TIMEOUT_S = 120.0
TOTP_STEP_S = 30

# The floor under the same load: Qt's widgets imported and an empty QMainWindow painted, noted
# in the app's trace format, so that B6 can be read as a ratio to it on a busy machine.
FLOOR_SCRIPT = """
import os, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
class Paint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            with open(os.environ["AIOKE_STARTUP_TRACE"], "a", encoding="utf-8") as trace:
                trace.write(f"first_paint {time.time():.6f}\\n")
            watched.removeEventFilter(self)
            QTimer.singleShot(0, app.quit)
        return False
app = QApplication([])
window = QMainWindow()
paint = Paint()
window.installEventFilter(paint)
window.resize(1280, 800)
window.show()
app.exec()
"""


def _launch(command: list[str], env: dict[str, str], wanted: str) -> float:
    """Seconds from launching ``command`` to the trace's ``wanted`` moment (NaN: never)."""
    with tempfile.TemporaryDirectory(prefix="aioke-startup-") as tmp:
        trace = Path(tmp, "trace")
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "AIOKE_CONFIG_DIR": str(Path(tmp, "config")),
            "AIOKE_STARTUP_TRACE": str(trace),
            **env,
        }
        began = time.time()
        process = subprocess.Popen(  # noqa: S603 - the app under test, our own arguments
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + LAUNCH_TIMEOUT_S
            while time.monotonic() < deadline and process.poll() is None:
                moments = _moments(trace)
                if wanted in moments:
                    return moments[wanted] - began
                time.sleep(0.02)
            return math.nan
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _moments(trace: Path) -> dict[str, float]:
    try:
        lines = trace.read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    found = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 2:
            found[parts[0]] = float(parts[1])
    return found


def _next_totp_step() -> None:
    """Sleep into the next TOTP step, so that the demo's login gets a code not yet used."""
    time.sleep(TOTP_STEP_S - time.time() % TOTP_STEP_S + 0.5)


def _figures(label: str, command: list[str], runs: int, status: Path | None) -> list[Figure]:
    paints, floors = [], []
    for _ in range(runs):  # interleaved, so that both see the same load
        floors.append(_launch([sys.executable, "-c", FLOOR_SCRIPT], {}, "first_paint"))
        paints.append(_launch(command, {}, "first_paint"))
    paint, floor = median(paints), median(floors)
    suffix = "" if label == "venv" else "-bundle"
    figures = [
        Figure(
            f"B6{suffix}", f"launch to first painted window ({label})", paint, "s",
            f"≤ {FIRST_PAINT_TARGET_S:g} s", paint <= FIRST_PAINT_TARGET_S, peer=floor,
            runs=tuple(paints),
            peer_way="the floor: PySide6.QtWidgets imported, an empty QMainWindow painted",
        ),
    ]  # fmt: skip
    if status is None:
        figures.append(not_measured(f"B6b{suffix}", f"first chart ({label})", "no sandbox"))
        return figures
    charts = []
    for _ in range(runs):
        _next_totp_step()
        env = {"AIOKE_SANDBOX_STATUS": str(status)}
        charts.append(_launch([*command, "--demo", "--page", "overview"], env, "first_chart"))
    chart = median(charts)
    target = paint + REFRESH_S
    figures.append(
        Figure(
            f"B6b{suffix}",
            f"launch to first chart with data ({label}; --demo on a running sandbox: "
            "start, login, first full fetch)",
            chart, "s", f"≤ first paint + one refresh ({REFRESH_S:g} s) = {target:.1f} s",
            chart <= target, runs=tuple(charts),
        )
    )  # fmt: skip
    return figures


def not_measured(figure_id: str, what: str, why: str) -> Figure:
    return Figure(figure_id, f"{what}: not measured ({why})", math.nan, "s", "—", None)


def measure(quick: bool, runs: int, bundle: str | None = None) -> list[Figure]:
    runs = 1 if quick else runs
    bundle = bundle or os.environ.get(ENV_BUNDLE)
    venv = [sys.executable, "-m", "aioke_desktop"]
    with running_sandbox() as sandbox, tempfile.TemporaryDirectory() as tmp:
        status = Path(tmp, "sandbox.json")
        status.write_text(json.dumps(sandbox), encoding="utf-8")
        figures = _figures("venv", venv, runs, status)
        if bundle and Path(bundle).is_file():
            figures += _figures("bundle", [bundle], runs, status)
        else:
            why = f"no bundle at {bundle}" if bundle else "no bundle given (--bundle PATH)"
            figures.append(not_measured("B6-bundle", "first paint and chart (bundle)", why))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.runtime_startup")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bundle", help="the installed bundle's aioke-desktop executable")
    args = parser.parse_args()
    print_table(measure(args.quick, args.runs, args.bundle))


if __name__ == "__main__":
    main()
