"""``aioke-desktop``: the entry point. The window arrives with the desktop foundation issue."""

from __future__ import annotations

import argparse

from . import __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="aioke-desktop", description=__doc__)
    parser.add_argument("--version", action="version", version=f"aioke-desktop {__version__}")
    parser.add_argument("--demo", action="store_true", help="run against a local sandbox cluster")
    parser.parse_args(argv)
    parser.error("the desktop window is not built yet; see the open issues")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
