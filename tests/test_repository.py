"""Promises the repository makes to anyone setting it up."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_pyside6_is_pinned_below_the_broken_release() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "PySide6-Essentials>=6.8,<6.12" in deps


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^(bash packaging/bootstrap\.sh \w+)$", readme, flags=re.M)
    assert commands == ["bash packaging/bootstrap.sh demo", "bash packaging/bootstrap.sh test"]
    ci = [
        line
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line and not line.startswith(("#", "set ", "cd "))
    ]
    assert ci == [commands[1]]


def test_version_comes_from_the_package_metadata() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "aioke_desktop", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert out.stdout.strip() == f"aioke-desktop {version}"
