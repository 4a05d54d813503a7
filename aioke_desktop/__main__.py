"""aioke-desktop: the operations console for on-call engineers."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from . import __version__

# Qt and the pages are imported inside the functions that need them: --version and --help
# answer in a tenth of a second instead of after loading the whole UI.


def _size(text: str) -> tuple[int, int]:
    from .screenshot import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _page(text: str) -> str:
    from .ui.pages import page_key

    try:
        return page_key(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="aioke-desktop", description=__doc__)
    p.add_argument("--version", action="version", version=f"aioke-desktop {__version__}")
    p.add_argument("--demo", action="store_true", help="run against a local sandbox cluster")
    p.add_argument("--context", metavar="NAME", help="the context (cluster) to open")
    p.add_argument(
        "--page",
        metavar="NAME",
        type=_page,
        help="the page to open: overview, services, slos, alerts, flags, breakers, "
        "chaos, runbooks or audit",
    )
    p.add_argument(
        "--screenshot",
        metavar="PATH",
        type=Path,
        help="save a PNG of the page once it has loaded, then exit "
        "(exit status 1 if the page could not load)",
    )
    p.add_argument("--size", metavar="WxH", type=_size, help="window size, for example 1280x800")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("AIOKE_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Imported late: --version and --help answer without building any of the app.
    from .app import Options, run

    options = Options(
        demo=args.demo,
        context=args.context,
        page=args.page,
        screenshot=args.screenshot,
        size=args.size,
    )
    return run(options)


if __name__ == "__main__":
    raise SystemExit(main())
