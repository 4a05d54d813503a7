"""The benchmark harness keeps working: ``python -m bench --quick`` measures every figure of
issue 9 at tiny sizes and writes a well-formed report. No figure is judged here: speed is
what ``python -m bench`` itself reports.

One run per group of figures, so that each stays inside the per-test timeout and a broken
module is named by its test.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox_harness import Sandbox

ROOT = Path(__file__).resolve().parents[2]
GROUPS = ["B1,B2,B3,B7", "B4", "B5", "B6", "B8"]


@pytest.mark.parametrize("only", GROUPS)
def test_the_quick_bench_measures_its_figures(only: str, tmp_path: Path, sandbox: Sandbox) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", only, "--json", str(out)],
        cwd=ROOT,
        env={
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            # The suite's sandbox rather than one more per group (B6, B8 need one).
            "AIOKE_BENCH_SANDBOX_STATUS": str(sandbox.workdir / "status.json"),
        },
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())  # strict JSON: a NaN would not read back
    figures = report["figures"]
    failed = [(f["id"], f["error"]) for f in figures if f["error"]]
    assert not failed, done.stderr[-3000:]
    by_id = {f["id"]: f for f in figures}
    wanted = only.split(",")
    assert sorted({re.match(r"B\d+", i).group(0) for i in by_id}) == wanted  # type: ignore[union-attr]
    for fid in wanted:  # the figure the issue names is measured; extras may say why not
        assert math.isfinite(by_id[fid]["value"]), by_id[fid]
        assert len(by_id[fid]["runs"]) == 1, by_id[fid]
    for figure in figures:
        assert figure["what"], figure
        if figure["peer"] and figure["value"] is not None:
            assert figure["ratio_to_peer"] == figure["value"] / figure["peer"], figure
    assert report["machine"]["cpus"] >= 1
    assert report["settings"]["quick"] is True
    for fid in wanted:  # the table a reader sees names them too
        assert f"\n{fid} " in done.stdout, done.stdout
