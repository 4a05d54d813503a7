"""A context: one cluster the app can connect to, and how to reach it safely."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .promql import GoldenSignalTemplates

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ContextError(ValueError):
    """A context that cannot be used; the message says which setting to fix."""


def is_loopback_host(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost`` names; never resolves DNS.

    A name that only *resolves* to a loopback address does not count: DNS can be spoofed.
    """
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, what: str) -> str:
    """The URL without a trailing slash; :class:`ContextError` unless it is http(s)://host."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ContextError(f"The {what} URL must look like https://host:port, not {url!r}.")
    if parts.username or parts.password:
        raise ContextError(f"The {what} URL must not carry a user or password.")
    return url.strip().rstrip("/")


@dataclass(frozen=True)
class TlsSettings:
    """How to trust a cluster's servers, and how to prove who we are (mTLS).

    Attributes:
        ca_bundle: PEM file of the CAs to trust instead of the system's.
        client_cert: PEM certificate for mutual TLS.
        client_key: PEM key of ``client_cert`` (may be inside ``client_cert``).
        insecure_skip_tls_verify: accept any certificate; an explicit, visible opt-in.
    """

    ca_bundle: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    insecure_skip_tls_verify: bool = False

    def check(self) -> None:
        if self.client_key and not self.client_cert:
            raise ContextError("A client key needs its client certificate.")


@dataclass(frozen=True)
class Context:
    """One cluster: where its control plane, Prometheus and Alertmanager live.

    Secrets never live here: passwords and TOTP secrets go to the keyring.
    """

    name: str
    control_plane_url: str
    prometheus_url: str
    username: str = ""
    alertmanager_url: str | None = None
    tls: TlsSettings = field(default_factory=TlsSettings)
    allow_plain_http_credentials: bool = False
    production: bool = False
    queries: GoldenSignalTemplates = field(default_factory=GoldenSignalTemplates)
    remember_totp_secret: bool = False
    # Sloth or OpenSLO YAML files: the SLO page's SLOs when the cluster serves none.
    slo_files: tuple[str, ...] = ()

    def check(self) -> Context:
        """The context with its URLs normalised; :class:`ContextError` naming what is wrong."""
        if not _NAME.match(self.name):
            raise ContextError(
                f"A context name is 1-64 letters, digits, dots, dashes or underscores, "
                f"not {self.name!r}."
            )
        self.tls.check()
        self.queries.check()
        checked = Context(
            name=self.name,
            control_plane_url=check_url(self.control_plane_url, "control plane"),
            prometheus_url=check_url(self.prometheus_url, "Prometheus"),
            username=self.username,
            alertmanager_url=None
            if not self.alertmanager_url
            else check_url(self.alertmanager_url, "Alertmanager"),
            tls=self.tls,
            allow_plain_http_credentials=self.allow_plain_http_credentials,
            production=self.production,
            queries=self.queries,
            remember_totp_secret=self.remember_totp_secret,
            slo_files=tuple(self.slo_files),
        )
        return checked

    @property
    def sends_credentials_in_clear(self) -> bool:
        """True when logging in would put a password on the wire unencrypted."""
        parts = urlsplit(self.control_plane_url)
        return parts.scheme == "http" and not is_loopback_host(parts.hostname or "")

    @property
    def keyring_key(self) -> str:
        """The keyring entry for this context's password: ``<context>/<username>``."""
        return f"{self.name}/{self.username}"
