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


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_served_logs_carry_request_ids_and_no_secrets(tmp_path: Path) -> None:
    db, secret_file = tmp_path / "served.db", tmp_path / "erin.totp"
    password = "erin's long password"
    cli(
        "users",
        "add",
        "erin",
        "--db",
        str(db),
        "--role",
        "operator",
        "--password-stdin",
        "--totp-secret-file",
        str(secret_file),
        stdin=password + "\n",
    )
    cli(
        "users",
        "add",
        "fay",
        "--db",
        str(db),
        "--role",
        "viewer",
        "--password-stdin",
        stdin="fay's long password\n",
    )
    port = _free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "aioke_cluster", "serve", "--db", str(db), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(200):
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                import time

                time.sleep(0.05)
        totp = pyotp.TOTP(secret_file.read_text().strip())
        code = totp.now()
        tokens = httpx.post(
            f"{base}/auth/login",
            json={"username": "erin", "password": password, "totp": code},
            headers={"X-Request-ID": "trace-me-1"},
        ).json()
        httpx.post(
            f"{base}/auth/login", json={"username": "erin", "password": "wrong!", "totp": code}
        )
        started = httpx.post(
            f"{base}/auth/login", json={"username": "fay", "password": "fay's long password"}
        ).json()
        enrolled = httpx.post(
            f"{base}/auth/totp/enroll", json={"enrollment_token": started["enrollment_token"]}
        ).json()
        refreshed = httpx.post(
            f"{base}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        ).json()
    finally:
        server.terminate()
        server.wait(10)
    logged = log_path.read_text()
    assert "[trace-me-1]" in logged
    assert "POST /api/v1/auth/login 200" in logged
    for secret in (
        password,
        code,
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed["refresh_token"],
        started["enrollment_token"],
        enrolled["secret"],
        enrolled["otpauth_uri"],
    ):
        assert secret not in logged
