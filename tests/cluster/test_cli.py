"""``aioke-cluster users add``: no default user, secrets only where asked, mode 0600."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pyotp

from harness import Cluster


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aioke_cluster", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_fresh_database_has_no_users(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "empty.db"
    assert cli("users", "add", "x", "--db", str(db), "--role", "viewer").returncode != 0
    count = sqlite3.connect(db).execute("SELECT count(*) FROM users").fetchone()[0]
    assert count == 0


def test_an_enrolled_user_can_log_in_with_the_written_secret(
    fresh_cluster: Cluster, tmp_path: Path
) -> None:
    secret_file = tmp_path / "alice.totp"
    added = cli(
        "users",
        "add",
        "alice",
        "--db",
        str(fresh_cluster.db_path),
        "--role",
        "operator",
        "--password-stdin",
        "--totp-secret-file",
        str(secret_file),
        stdin="correct horse battery staple\n",
    )
    assert added.returncode == 0, added.stderr
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    secret = secret_file.read_text().strip()
    assert secret not in added.stdout + added.stderr

    reply = httpx.post(
        f"{fresh_cluster.api}/auth/login",
        json={
            "username": "alice",
            "password": "correct horse battery staple",
            "totp": pyotp.TOTP(secret).at(fresh_cluster.clock.now()),
        },
    )
    assert reply.status_code == 200
    assert reply.json()["user"]["roles"] == ["operator"]


def test_a_user_without_a_secret_file_enrols_at_first_login(fresh_cluster: Cluster) -> None:
    added = cli(
        "users",
        "add",
        "bob",
        "--db",
        str(fresh_cluster.db_path),
        "--role",
        "viewer",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert added.returncode == 0, added.stderr
    reply = httpx.post(
        f"{fresh_cluster.api}/auth/login",
        json={"username": "bob", "password": "a long enough password"},
    )
    assert reply.status_code == 403
    assert reply.json()["type"].endswith("/totp-enrollment-required")


def test_weak_passwords_and_duplicates_are_refused_plainly(fresh_cluster: Cluster) -> None:
    db = str(fresh_cluster.db_path)
    weak = cli(
        "users", "add", "carol", "--db", db, "--role", "viewer", "--password-stdin", stdin="short\n"
    )
    assert weak.returncode == 1
    assert "at least 12 characters" in weak.stderr
    good = "a long enough password\n"
    assert (
        cli(
            "users", "add", "dave", "--db", db, "--role", "viewer", "--password-stdin", stdin=good
        ).returncode
        == 0
    )
    again = cli(
        "users", "add", "dave", "--db", db, "--role", "viewer", "--password-stdin", stdin=good
    )
    assert again.returncode == 1
    assert "already exists" in again.stderr
