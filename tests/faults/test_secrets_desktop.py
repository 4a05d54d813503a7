"""Issue 10 #13, the desktop's side: a whole session leaves no secret outside the keyring.

``secrets_desktop_session.py`` runs in a child pytest inside ``dbus-run-session`` with
gnome-keyring as the Secret Service, ``$HOME`` and every XDG directory in a temporary home,
every logger at DEBUG into a file there. Afterwards no file under that home (but gnome-keyring's
own, encrypted store), nor the log, nor the child's stdout/stderr holds the password, the TOTP
secret (in any spelling), a TOTP code, an access, refresh or enrolment token. The app installs
no crash handler (no excepthook, no faulthandler, no report files): what a crash leaves is the
traceback on stderr, which is read here too.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SESSION = Path(__file__).with_name("secrets_desktop_session.py")
XDG = {
    "XDG_CONFIG_HOME": ".config",
    "XDG_DATA_HOME": ".local/share",
    "XDG_CACHE_HOME": ".cache",
    "XDG_STATE_HOME": ".local/state",
    "XDG_RUNTIME_DIR": "run",
}


def _spellings(kind: str, secret: str) -> set[str]:
    """The TOTP secret as a QR code, a user or a URI might write it; others as they are."""
    if kind != "totp secret":
        return {secret}
    bare = secret.replace(" ", "").rstrip("=")
    spaced = " ".join(bare[i : i + 4] for i in range(0, len(bare), 4))
    return {s for t in (secret, bare, spaced) for s in (t, t.lower())}


def _run_session(home: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "AIOKE_CONFIG_DIR": str(home / ".config" / "aioke-desktop"),
        "AIOKE_SECRETS_LOG": str(home / ".local/state/aioke-desktop/desktop.log"),
        "AIOKE_SECRETS_OUT": str(out / "used.json"),
        "QT_QPA_PLATFORM": "offscreen",
        "TMPDIR": str(out),  # the control plane's database keeps the TOTP seed: not in $HOME
        **{name: str(home / where) for name, where in XDG.items()},
    }
    for where in XDG.values():
        (home / where).mkdir(parents=True, exist_ok=True, mode=0o700)
    (home / ".local/state/aioke-desktop").mkdir()
    pytest_line = shlex.join(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "--basetemp",
            str(out / "pytest"),
            str(SESSION),
        ]
    )
    script = (
        # gnome-keyring creates the login keyring, unlocked with this password, on first use.
        "echo -n test-unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null\n"
        f"{pytest_line}\n"
    )
    return subprocess.run(
        ["dbus-run-session", "--", "bash", "-e", "-c", script],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )


@pytest.mark.skipif(
    shutil.which("dbus-run-session") is None or shutil.which("gnome-keyring-daemon") is None,
    reason="dbus-run-session or gnome-keyring is missing (packaging/bootstrap.sh installs them)",
)
def test_a_desktop_session_leaves_no_secret_outside_gnome_keyring(tmp_path: Path) -> None:
    home, out = tmp_path / "home", tmp_path / "out"
    home.mkdir()
    out.mkdir()
    done = _run_session(home, out)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads((out / "used.json").read_text())
    assert result["backend"] == result["app's backend"] == "keyring.backends.SecretService.Keyring"
    assert result["password in keyring"]
    assert result["totp secret in keyring"]
    used: dict[str, list[str]] = result["used"]
    assert {k: len(v) for k, v in used.items()} == {
        "password": 2,
        "totp secret": 1,
        "enrolment token": 1,
        "totp code": 3,
        "access token": 3,
        "refresh token": 3,
    }

    keyrings = home / ".local/share/keyrings"
    assert list(keyrings.glob("*.keyring")), "gnome-keyring stored nothing: the keyring was unused"
    log = home / ".local/state/aioke-desktop/desktop.log"
    assert b"logged in to lab as" in log.read_bytes()  # it was written, and is read below
    places = {
        str(p.relative_to(home)): p.read_bytes()
        for p in home.rglob("*")
        if p.is_file() and keyrings not in p.parents
    }
    assert ".config/aioke-desktop/config.toml" in places
    places["stdout"] = done.stdout.encode()
    places["stderr"] = done.stderr.encode()
    leaks = [
        f"{kind} in {where}"
        for kind, secrets in used.items()
        for secret in secrets
        for spelling in _spellings(kind, secret)
        for where, content in places.items()
        if spelling.encode() in content
    ]
    assert leaks == []
