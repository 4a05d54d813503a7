"""Where the app keeps its files: the platform's config directory, or ``AIOKE_CONFIG_DIR``."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "aioke-desktop"
ENV_CONFIG_DIR = "AIOKE_CONFIG_DIR"


def config_dir() -> Path:
    """``$AIOKE_CONFIG_DIR`` when set (tests, portable installs), else the platform's
    per-user config directory (``~/.config/aioke-desktop`` on Linux)."""
    override = os.environ.get(ENV_CONFIG_DIR)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_config_path(APP_NAME, appauthor=False)


def config_file() -> Path:
    return config_dir() / "config.toml"
