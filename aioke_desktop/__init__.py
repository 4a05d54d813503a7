"""Aioke Desktop: an operations console for on-call engineers."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aioke-desktop")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
