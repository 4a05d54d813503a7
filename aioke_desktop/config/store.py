"""Loading and saving the settings file: atomic, private (0600), migrated, secret-free."""

from __future__ import annotations

import logging
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from .paths import config_file
from .schema import AppConfig, ConfigError, from_document, migrate, to_document

log = logging.getLogger(__name__)

# Keys that hold secrets. The schema has none; this is the check that keeps it so.
_SECRET_KEYS = {"password", "totp", "totp_secret", "secret", "token", "access_token",
                "refresh_token", "api_key"}  # fmt: skip


def _refuse_secrets(value: Any, where: str = "") -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key.lower() in _SECRET_KEYS:
                raise ConfigError(f"Refusing to write a secret ({where}{key}) to settings.")
            _refuse_secrets(item, f"{where}{key}.")


class ConfigStore:
    """The settings file.

    Args:
        path: the file; by default ``config.toml`` in the config directory.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_file()

    def load(self) -> AppConfig:
        """The config (empty when there is no file). A file of an older version is migrated,
        saved in the new version, and the old one kept beside it as ``*.v<N>.bak``."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return AppConfig()
        except OSError as exc:
            raise ConfigError(f"The settings file {self.path} cannot be read: {exc}.") from exc
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"The settings file {self.path} is not valid TOML: {exc}.") from exc
        current, found = migrate(doc)
        config = from_document(current)
        if found != current["version"]:
            backup = self.path.with_name(f"{self.path.stem}.v{found}.bak")
            backup.write_text(text, encoding="utf-8")
            backup.chmod(0o600)
            log.info("settings migrated from version %d; the old file is %s", found, backup)
            self.save(config)
        return config

    def save(self, config: AppConfig) -> None:
        """Write atomically (a crash leaves the old file or the new one, never half)."""
        doc = to_document(config)
        _refuse_secrets(doc)
        data = tomli_w.dumps(doc).encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".config-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:  # mkstemp creates it 0600
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
