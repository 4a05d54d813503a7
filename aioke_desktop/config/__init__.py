"""Contexts and settings: one typed schema in a versioned TOML file, migrated on load."""

from .paths import config_dir, config_file
from .schema import CURRENT_VERSION, AppConfig, ConfigError, Settings
from .store import ConfigStore

__all__ = [
    "CURRENT_VERSION",
    "AppConfig",
    "ConfigError",
    "ConfigStore",
    "Settings",
    "config_dir",
    "config_file",
]
