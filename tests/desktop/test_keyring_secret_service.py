"""One test against a real Secret Service: gnome-keyring in a private D-Bus session.

Two app processes in the same desktop session: the first logs a password into the keyring
through the app's keyring code, the second (a later start of the app) finds it there.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SAVE = """
from aioke_desktop.core.contexts import Context
from aioke_desktop.runtime.login_secrets import LoginSecrets
lab = Context("lab", "https://cp.example:8470", "https://prom.example:9090", username="alice")
secrets = LoginSecrets()
problem = secrets.keep_password(lab, "alice", "correct horse battery staple", remember=True)
print(json.dumps({"backend": secrets.store().verdict.backend, "problem": problem}))
"""

LOAD = """
from aioke_desktop.core.contexts import Context
from aioke_desktop.runtime.login_secrets import LoginSecrets
lab = Context("lab", "https://cp.example:8470", "https://prom.example:9090", username="alice")
found = LoginSecrets().find(lab, "alice")
print(json.dumps({"password": found.password, "note": found.note}))
"""


def _python(tmp_path: Path, name: str, snippet: str) -> str:
    """A shell line running ``snippet`` with this interpreter."""
    script = tmp_path / f"{name}.py"
    script.write_text("import json\n" + textwrap.dedent(snippet))
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


@pytest.mark.skipif(
    shutil.which("dbus-run-session") is None,
    reason="dbus-run-session is missing: install dbus-daemon (packaging/bootstrap.sh does)",
)
def test_a_password_saved_in_gnome_keyring_is_found_by_the_next_start(tmp_path: Path) -> None:
    script = (
        # gnome-keyring creates the login keyring, unlocked with this password, on first use.
        "echo -n test-unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null\n"
        f"{_python(tmp_path, 'save', SAVE)}\n"
        f"{_python(tmp_path, 'load', LOAD)}\n"
    )
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),  # the keyring files go here, not into the user's home
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    (tmp_path / "run").mkdir(mode=0o700)
    done = subprocess.run(
        ["dbus-run-session", "--", "bash", "-e", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    saved, loaded = (json.loads(line) for line in done.stdout.splitlines()[-2:])
    assert saved == {"backend": "keyring.backends.SecretService.Keyring", "problem": None}
    assert loaded == {"password": "correct horse battery staple", "note": None}
    keyrings = list((tmp_path / "data" / "keyrings").glob("*.keyring"))
    assert keyrings, "gnome-keyring wrote no keyring file"
    assert all(b"correct horse" not in path.read_bytes() for path in keyrings)  # encrypted
