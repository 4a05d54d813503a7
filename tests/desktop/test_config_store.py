"""The settings file: round trip, migration from version 0, and what it must never hold."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from aioke_desktop.config import AppConfig, ConfigError, ConfigStore, Settings, config_file
from aioke_desktop.config.schema import CURRENT_VERSION
from aioke_desktop.core.contexts import Context, ContextError, TlsSettings
from aioke_desktop.core.promql import GoldenSignalTemplates


def _production() -> Context:
    return Context(
        name="prod-eu",
        control_plane_url="https://cp.prod.example:8443/",
        prometheus_url="https://thanos.prod.example",
        alertmanager_url="https://am.prod.example",
        username="alice",
        tls=TlsSettings(ca_bundle="/etc/aioke/prod-ca.pem", client_cert="/etc/aioke/me.pem"),
        production=True,
        queries=GoldenSignalTemplates().with_changes(
            saturation='max by (service, resource) (container_saturation{app=~"$service"})'
        ),
        remember_totp_secret=False,
    )


def test_contexts_and_settings_survive_a_round_trip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIOKE_CONFIG_DIR", str(tmp_path / "conf"))
    store = ConfigStore()
    assert store.path == config_file() == tmp_path / "conf" / "config.toml"
    assert store.load() == AppConfig()  # no file yet: an empty config, not an error

    sandbox = Context("sandbox", "http://127.0.0.1:8700", "http://127.0.0.1:9090")
    config = (
        AppConfig(settings=Settings(active_context="prod-eu", refresh_interval_seconds=5))
        .with_context(_production())
        .with_context(sandbox)
    )
    store.save(config)

    assert ConfigStore().load() == config
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    written = tomllib.loads(store.path.read_text())
    assert written["version"] == CURRENT_VERSION
    prod = written["contexts"]["prod-eu"]
    assert prod["control_plane_url"] == "https://cp.prod.example:8443"  # normalised
    assert prod["tls"] == {
        "ca_bundle": "/etc/aioke/prod-ca.pem",
        "client_cert": "/etc/aioke/me.pem",
        "insecure_skip_tls_verify": False,
    }
    assert list(prod["queries"]) == ["saturation"]  # only what differs from the defaults
    assert "queries" not in written["contexts"]["sandbox"]


def test_a_version_0_file_is_migrated_and_the_old_one_kept(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    old = (
        'current = "staging"\n\n'
        "[[clusters]]\n"
        'name = "staging"\n'
        'url = "https://cp.staging.example"\n'
        'prometheus = "https://prom.staging.example"\n'
        'user = "bob"\n'
        'ca_file = "/etc/aioke/staging-ca.pem"\n'
        "insecure = false\n"
    )
    path.write_text(old)
    config = ConfigStore(path).load()

    staging = config.context("staging")
    assert staging.control_plane_url == "https://cp.staging.example"
    assert staging.prometheus_url == "https://prom.staging.example"
    assert staging.username == "bob"
    assert staging.tls.ca_bundle == "/etc/aioke/staging-ca.pem"
    assert staging.alertmanager_url is None
    assert not staging.allow_plain_http_credentials
    assert not staging.remember_totp_secret
    assert config.settings.active_context == "staging"
    assert tomllib.loads(path.read_text())["version"] == CURRENT_VERSION
    assert (tmp_path / "config.v0.bak").read_text() == old
    assert ConfigStore(path).load() == config  # a second load has nothing to migrate


def test_a_file_from_a_newer_version_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("version = 99\n")
    with pytest.raises(ConfigError, match="newer Aioke Desktop"):
        ConfigStore(path).load()
    assert path.read_text() == "version = 99\n"


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        (
            "version = 1\n[contexts.x]\nprometheus_url = 'http://p'\n",
            "contexts.x.control_plane_url",
        ),
        (
            "version = 1\n[contexts.x]\ncontrol_plane_url = 'ftp://cp'\nprometheus_url = 'http://p'\n",
            "control plane URL",
        ),
        (
            "version = 1\n[settings]\nrefresh_interval_seconds = 'fast'\n",
            "refresh_interval_seconds",
        ),
        ("version = [1", "not valid TOML"),
    ],
)
def test_a_broken_file_names_what_is_wrong(tmp_path: Path, text: str, complaint: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=complaint):
        ConfigStore(path).load()


def test_urls_with_passwords_never_reach_the_file() -> None:
    with pytest.raises(ContextError, match="must not carry a user or password"):
        Context("x", "https://alice:hunter2@cp.example", "https://prom.example").check()


def test_removing_the_active_context_clears_the_choice() -> None:
    config = AppConfig(settings=Settings(active_context="prod-eu")).with_context(_production())
    emptied = config.without_context("prod-eu")
    assert emptied.contexts == ()
    assert emptied.settings.active_context is None
    with pytest.raises(ConfigError, match="no context named"):
        emptied.context("prod-eu")


def test_plain_http_to_a_remote_host_is_flagged_loopback_is_not() -> None:
    assert Context("a", "http://cp.example", "http://p").sends_credentials_in_clear
    assert not Context("b", "http://127.0.0.1:8700", "http://p").sends_credentials_in_clear
    assert not Context("c", "http://localhost:8700", "http://p").sends_credentials_in_clear
    assert not Context("d", "http://[::1]:8700", "http://p").sends_credentials_in_clear
    assert not Context("e", "https://cp.example", "http://p").sends_credentials_in_clear
