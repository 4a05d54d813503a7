"""The settings file's schema, its version, and the migrations from older versions.

A file is a TOML document ``{version, settings, contexts}``. Loading runs every migration
from the file's version up to :data:`CURRENT_VERSION`, one function a step, then reads the
result into typed dataclasses; a value of the wrong type is a :class:`ConfigError` naming it.
Secrets never appear here: passwords and TOTP secrets live in the keyring.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ..core.contexts import Context, ContextError, TlsSettings
from ..core.jsonshape import Fields, ShapeError
from ..core.promql import GoldenSignalTemplates, TemplateError

CURRENT_VERSION = 1
REFRESH_INTERVALS = (0, 5, 15, 30, 60)  # seconds; 0 is "off"


class ConfigError(ValueError):
    """A settings file that cannot be used; the message names the file's problem."""


@dataclass(frozen=True)
class Settings:
    """App-wide choices that are not about one cluster."""

    active_context: str | None = None
    refresh_interval_seconds: int = 15
    time_range: str = "1h"
    last_page: str = "overview"
    request_deadline_seconds: float = 30.0
    min_requests_per_hour: float = 100.0
    notify_min_severity: str = "critical"  # the least alert severity worth a notification
    close_to_tray: bool = True  # closing the window hides it to the tray, if there is one
    alert_sound: bool = False  # beep for critical (page-level) alerts


@dataclass(frozen=True)
class AppConfig:
    """Everything in the settings file."""

    contexts: tuple[Context, ...] = ()
    settings: Settings = field(default_factory=Settings)

    def context(self, name: str) -> Context:
        for context in self.contexts:
            if context.name == name:
                return context
        raise ConfigError(f"There is no context named {name!r}.")

    def with_context(self, context: Context) -> AppConfig:
        """The config with ``context`` added, or replacing the one with its name."""
        checked = context.check()
        others = tuple(c for c in self.contexts if c.name != checked.name)
        return replace(self, contexts=(*others, checked))

    def without_context(self, name: str) -> AppConfig:
        settings = self.settings
        if settings.active_context == name:
            settings = replace(settings, active_context=None)
        return AppConfig(tuple(c for c in self.contexts if c.name != name), settings)


# Migrations ------------------------------------------------------------------------------


def _from_v0(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 0, the first layout (no version number): ``current`` named the active
    cluster and ``[[clusters]]`` held ``url``, ``prometheus``, ``alertmanager``, ``user``,
    ``ca_file`` and ``insecure``."""
    contexts: dict[str, Any] = {}
    for old in doc.get("clusters", []):
        if not isinstance(old, Mapping) or "name" not in old:
            raise ConfigError("A [[clusters]] entry of the old settings file has no name.")
        tls = {"insecure_skip_tls_verify": bool(old.get("insecure", False))}
        if old.get("ca_file"):
            tls["ca_bundle"] = old["ca_file"]
        entry = {
            "control_plane_url": old.get("url", ""),
            "prometheus_url": old.get("prometheus", ""),
            "username": old.get("user", ""),
            "tls": tls,
        }
        if old.get("alertmanager"):
            entry["alertmanager_url"] = old["alertmanager"]
        contexts[str(old["name"])] = entry
    settings = {"active_context": doc["current"]} if doc.get("current") else {}
    return {"version": 1, "settings": settings, "contexts": contexts}


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _from_v0}


def migrate(doc: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The document at :data:`CURRENT_VERSION`, and the version it was written at."""
    version = doc.get("version", 0)
    if not isinstance(version, int) or version < 0:
        raise ConfigError(f"The settings file's version {version!r} is not a version number.")
    if version > CURRENT_VERSION:
        raise ConfigError(
            f"The settings file was written by a newer Aioke Desktop (version {version}); "
            "it is left untouched."
        )
    found = version
    while version < CURRENT_VERSION:
        doc = MIGRATIONS[version](doc)
        version = doc["version"]
    return doc, found


# Reading and writing ---------------------------------------------------------------------


def _context(name: str, data: Fields) -> Context:
    tls = data.opt_obj("tls")
    queries = data.opt_obj("queries")
    defaults = GoldenSignalTemplates()
    templates = GoldenSignalTemplates(
        **{
            f.name: (queries.opt_text(f.name) if queries else None) or getattr(defaults, f.name)
            for f in fields(GoldenSignalTemplates)
        }
    )
    return Context(
        name=name,
        control_plane_url=data.text("control_plane_url"),
        prometheus_url=data.text("prometheus_url"),
        username=data.opt_text("username") or "",
        alertmanager_url=data.opt_text("alertmanager_url"),
        tls=TlsSettings(
            ca_bundle=tls.opt_text("ca_bundle") if tls else None,
            client_cert=tls.opt_text("client_cert") if tls else None,
            client_key=tls.opt_text("client_key") if tls else None,
            insecure_skip_tls_verify=tls.boolean("insecure_skip_tls_verify", False)
            if tls
            else False,
        ),
        allow_plain_http_credentials=data.boolean("allow_plain_http_credentials", False),
        production=data.boolean("production", False),
        queries=templates,
        remember_totp_secret=data.boolean("remember_totp_secret", False),
        slo_files=data.texts("slo_files"),
    ).check()


def _settings(data: Fields | None) -> Settings:
    if data is None:
        return Settings()
    default = Settings()
    return Settings(
        active_context=data.opt_text("active_context"),
        refresh_interval_seconds=data.integer(
            "refresh_interval_seconds", default.refresh_interval_seconds
        ),
        time_range=data.opt_text("time_range") or default.time_range,
        last_page=data.opt_text("last_page") or default.last_page,
        request_deadline_seconds=data.number(
            "request_deadline_seconds", default.request_deadline_seconds
        ),
        min_requests_per_hour=data.number("min_requests_per_hour", default.min_requests_per_hour),
        notify_min_severity=data.opt_text("notify_min_severity") or default.notify_min_severity,
        close_to_tray=data.boolean("close_to_tray", default.close_to_tray),
        alert_sound=data.boolean("alert_sound", default.alert_sound),
    )


def from_document(doc: dict[str, Any]) -> AppConfig:
    """Typed config from a current-version document."""
    try:
        root = Fields(doc, "body")
        contexts = root.mapping("contexts")
        built = tuple(
            _context(name, Fields(data, f"contexts.{name}")) for name, data in contexts.items()
        )
        return AppConfig(built, _settings(root.opt_obj("settings")))
    except ShapeError as exc:
        raise ConfigError(f"The settings file has a bad {exc.field}: {exc.problem}.") from None
    except (ContextError, TemplateError) as exc:
        raise ConfigError(f"A context in the settings file is not valid: {exc}") from None


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}  # TOML has no null


def to_document(config: AppConfig) -> dict[str, Any]:
    """The TOML document for ``config``; query templates only where they differ from the
    defaults, so improved defaults reach contexts that never changed them."""
    defaults = GoldenSignalTemplates().as_dict()
    contexts: dict[str, Any] = {}
    for ctx in config.contexts:
        changed = {k: v for k, v in ctx.queries.as_dict().items() if defaults[k] != v}
        entry = _without_none(
            {
                "control_plane_url": ctx.control_plane_url,
                "prometheus_url": ctx.prometheus_url,
                "alertmanager_url": ctx.alertmanager_url,
                "username": ctx.username,
                "production": ctx.production,
                "allow_plain_http_credentials": ctx.allow_plain_http_credentials,
                "remember_totp_secret": ctx.remember_totp_secret,
                "tls": _without_none(ctx.tls.__dict__),
            }
        )
        if changed:
            entry["queries"] = changed
        if ctx.slo_files:
            entry["slo_files"] = list(ctx.slo_files)
        contexts[ctx.name] = entry
    return {
        "version": CURRENT_VERSION,
        "settings": _without_none(config.settings.__dict__),
        "contexts": contexts,
    }
