"""``python -m bench [--quick] [--runs N] [--json PATH] [--only B1,B3] [--prometheus URL]``

Runs the figures of issue 9 and prints a table (ours, the target, the peers' way measured in
the same run, the ratio); ``--json`` writes every run's value too. B1 and B3 run locally,
B2 and B7 against the sandbox (started here, or ``--prometheus URL``; ``--quick`` uses the
synthetic endpoint), B4 … B8 come from the ``bench/runtime_*.py`` modules.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import re
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from . import report
from .figures import Figure, not_measured

EXPECTED = tuple(f"B{n}" for n in range(1, 9))
# The figures of a runtime module that does not say (its FIGURES), so that --only skips it.
RUNTIME_FIGURES = {
    "runtime_lateness": ("B4",),
    "runtime_memory": ("B5",),
    "runtime_startup": ("B6",),
    "runtime_sandbox_cpu": ("B8",),
}
Measure = Callable[[bool, int], list[Figure]]


def base_id(figure_id: str) -> str:
    """ "B3" of "B3b" and of "B6-bundle"."""
    match = re.match(r"B\d+", figure_id)
    return match.group(0) if match else figure_id


def _wanted(only: set[str] | None, *ids: str) -> bool:
    return only is None or any(i in only for i in ids)


def _runtime_modules() -> list[tuple[str, Measure]]:
    """Every ``bench/runtime_*.py`` with a ``measure(quick, runs)`` (others are helpers)."""
    found = []
    package = Path(__file__).parent
    for info in sorted(pkgutil.iter_modules([str(package)]), key=lambda i: i.name):
        if info.name.startswith("runtime_"):
            module = importlib.import_module(f"bench.{info.name}")
            if callable(getattr(module, "measure", None)):
                found.append((info.name, module.measure))
    return found


def _run(name: str, measure: Callable[[], list[Figure]], figures: list[Figure]) -> None:
    started = time.monotonic()
    print(f"… {name}", file=sys.stderr, flush=True)
    try:
        figures += measure()
    except Exception as exc:
        traceback.print_exc()
        figures.append(not_measured(f"{name}!", name, f"{type(exc).__name__}: {exc}"))
    print(f"  {name}: {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run: it works")
    parser.add_argument("--runs", type=int, help="runs per figure (default 5, quick 1)")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--only", help="figure ids, comma-separated (B1,B3)")
    parser.add_argument("--prometheus", help="B2 and B7 against this URL, not a new sandbox")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    runs = args.runs or (1 if args.quick else 5)
    only = {i.strip().upper() for i in args.only.split(",")} if args.only else None
    figures: list[Figure] = []

    if _wanted(only, "B1"):
        from .data_path import measure_poll

        _run("B1 (poll CPU)", lambda: measure_poll(args.quick, runs), figures)
    if _wanted(only, "B3"):
        from .render import measure_render

        _run("B3 (render)", lambda: measure_render(args.quick, runs), figures)
    if _wanted(only, "B2", "B7"):
        from .data_path import measure_refresh
        from .sandbox import prometheus_for

        def refresh() -> list[Figure]:
            with prometheus_for(args.prometheus, synthetic=args.quick) as (url, where):
                return measure_refresh(url, where, args.quick, runs)

        _run("B2, B7 (refresh)", refresh, figures)
    try:
        modules = _runtime_modules()
    except Exception as exc:  # a module that does not even import
        traceback.print_exc()
        figures.append(not_measured("runtime!", "bench/runtime_*.py", f"{exc}"))
        modules = []
    for name, measure in modules:
        ids = getattr(sys.modules[f"bench.{name}"], "FIGURES", RUNTIME_FIGURES.get(name))
        if ids is None or _wanted(only, *ids):
            _run(name, lambda m=measure: m(args.quick, runs), figures)  # type: ignore[misc]

    if only is not None:
        figures = [f for f in figures if base_id(f.id) in only or f.error]
    present = {base_id(f.id) for f in figures}
    for fid in EXPECTED:
        if fid not in present and _wanted(only, fid):
            figures.append(not_measured(fid, "", "no bench module measured it"))
    figures.sort(key=lambda f: (int(f.id[1]) if f.id[1:2].isdigit() else 99, f.id))

    report.print_table(figures)
    if args.json:
        settings = {"quick": args.quick, "runs": runs, "only": sorted(only) if only else None,
                    "prometheus": args.prometheus}  # fmt: skip
        report.write_json(args.json, figures, settings)
        print(f"\nwritten to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
