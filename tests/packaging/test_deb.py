"""The Linux packages, as a user gets them: build the .deb, unpack it into a fresh root,
start the installed app on a real X server, and let lintian judge the package.

The .deb is unpacked with ``dpkg -x`` rather than installed with ``dpkg -i``: a throwaway
root that ``dpkg -i`` could install into needs a whole Debian system in it (debootstrap,
minutes and a mirror), and installing into this machine would change it for every later
test. What ``dpkg -i`` adds over ``dpkg -x`` is dependency resolution, and
``apt-get install --simulate`` checks exactly that against this machine's package lists.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[2]
VERSION = version("aioke-desktop")
OPT = Path("opt/aioke-desktop")
APP_ID = "org.aioke.Desktop"
QT_RUNTIME = ["libxcb1", "libxkbcommon-x11-0", "libegl1", "libgl1", "libfontconfig1"]
QT_RUNTIME += ["libdbus-1-3", "libglib2.0-0", "libxcb-cursor0"]
XVFB = ["xvfb-run", "--auto-servernum", "--server-args=-screen 0 1280x800x24"]


@dataclass(frozen=True)
class Built:
    """The packages and the root the .deb was unpacked into."""

    deb: Path
    tarball: Path
    root: Path
    build_seconds: float

    @property
    def app(self) -> Path:
        return self.root / OPT / "aioke-desktop"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    work = tmp_path_factory.mktemp("packaging")
    began = time.monotonic()
    build = [sys.executable, str(ROOT / "packaging" / "build_deb.py"), "--fast"]
    done = subprocess.run(
        [*build, "--out", str(work / "out"), "--work", str(work / "build")],
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    seconds = time.monotonic() - began
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    deb = work / "out" / f"aioke-desktop_{VERSION}_{arch}.deb"
    tarball = next((work / "out").glob(f"aioke-desktop-{VERSION}-linux-*.tar.gz"))
    root = work / "root"
    subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    print(
        f"\nbuild {seconds:.0f} s; .deb {deb.stat().st_size / 2**20:.0f} MiB; "
        f".tar.gz {tarball.stat().st_size / 2**20:.0f} MiB",
        file=sys.stderr,
    )
    return Built(deb, tarball, root, seconds)


def _field(deb: Path, name: str) -> str:
    return subprocess.run(
        ["dpkg-deb", "--field", str(deb), name], capture_output=True, text=True, check=True
    ).stdout.strip()


def _x_env(tmp_path: Path) -> dict[str, str]:
    """A user's environment with a fresh config, a real X server (xvfb-run), no offscreen."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "XDG_", "DISPLAY"))}
    env |= {
        "QT_QPA_PLATFORM": "xcb",  # the X server, not the offscreen platform the tests use
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "AIOKE_SANDBOX_STATUS": str(tmp_path / "sandbox.json"),  # its own, never one reused
    }
    (tmp_path / "run").mkdir(mode=0o700, exist_ok=True)
    return env


def _installed_command(built: Built, tmp_path: Path) -> Path:
    """``aioke-desktop`` through a symlink, as /usr/bin/aioke-desktop reaches it."""
    link = tmp_path / "bin" / "aioke-desktop"
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(built.app)
    return link


def _colours(png: Path) -> int:
    """How many distinct colours a 64×64 grid of samples finds in the picture."""
    from PySide6.QtGui import QImage

    image = QImage(str(png))
    assert not image.isNull(), f"{png} is not a PNG"
    xs = range(0, image.width(), max(1, image.width() // 64))
    ys = range(0, image.height(), max(1, image.height() // 64))
    return len({image.pixel(x, y) for x in xs for y in ys})


@pytest.fixture
def no_strays(built: Built) -> Iterator[None]:
    """End whatever the installed programs left running (a sandbox the app did not stop)."""
    yield
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if str(built.root).encode() in cmdline:
            os.kill(int(proc.name), signal.SIGTERM)


def test_the_package_names_its_version_and_what_it_needs(built: Built) -> None:
    assert _field(built.deb, "Package") == "aioke-desktop"
    assert _field(built.deb, "Version") == VERSION
    depends = {item.split()[0] for item in _field(built.deb, "Depends").split(", ")}
    assert set(QT_RUNTIME) <= depends
    assert re.search(r"\blibc6 \(>= 2\.\d+\)", _field(built.deb, "Depends"))
    assert _field(built.deb, "Recommends") == "prometheus, prometheus-alertmanager"


def test_apt_can_install_it_with_its_dependencies(built: Built) -> None:
    plan = subprocess.run(
        ["apt-get", "install", "--simulate", "--no-install-recommends", str(built.deb)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert re.search(rf"^Inst aioke-desktop \({re.escape(VERSION)}\b", plan.stdout, re.M)


def test_files_are_where_a_linux_desktop_looks_for_them(built: Built) -> None:
    root = built.root
    command = root / "usr/bin/aioke-desktop"
    assert command.is_symlink()
    assert os.readlink(command) == f"/{OPT}/aioke-desktop"
    for program in ("aioke-desktop", "aioke-sandbox", "aioke-cluster"):
        assert os.access(root / OPT / program, os.X_OK), program

    entry = (root / f"usr/share/applications/{APP_ID}.desktop").read_text()
    assert "\nExec=aioke-desktop\n" in entry
    assert f"\nIcon={APP_ID}\n" in entry
    hicolor = root / "usr/share/icons/hicolor"
    assert (hicolor / f"scalable/apps/{APP_ID}.svg").is_file()
    for size in (16, 32, 48, 128, 256):
        assert (hicolor / f"{size}x{size}/apps/{APP_ID}.png").is_file(), size
    metainfo = (root / f"usr/share/metainfo/{APP_ID}.metainfo.xml").read_text()
    assert f'<release version="{VERSION}"' in metainfo
    assert f'<launchable type="desktop-id">{APP_ID}.desktop</launchable>' in metainfo
    assert (root / "usr/share/man/man1/aioke-desktop.1.gz").is_file()
    assert (root / "usr/share/doc/aioke-desktop/copyright").is_file()


def test_the_bundle_carries_the_keyring_backends_and_the_shipped_data(built: Built) -> None:
    internal = built.root / OPT / "_internal"
    # keyring finds its backends through entry points: the metadata must travel too.
    entry_points = next(internal.glob("keyring-*.dist-info")) / "entry_points.txt"
    assert "SecretService = keyring.backends.SecretService" in entry_points.read_text()
    for module in (
        "keyring/backends/SecretService.pyc",
        "secretstorage/collection.pyc",
        "jeepney/io/blocking.pyc",
    ):
        assert (internal / module).is_file(), module
    # The About dialog's icon is an SVG: Qt needs its SVG image and icon plugins for it.
    plugins = internal / "PySide6/Qt/plugins"
    assert (plugins / "imageformats/libqsvg.so").is_file()
    assert (plugins / "iconengines/libqsvgicon.so").is_file()
    assert sorted(p.name for p in (internal / "resources/slos").glob("*.yaml"))
    assert sorted(p.name for p in (internal / "resources/runbooks").glob("*.yaml"))
    assert (internal / f"resources/icons/{APP_ID}.svg").is_file()


def test_the_tarball_holds_the_same_programs(built: Built) -> None:
    with tarfile.open(built.tarball) as tar:
        names = set(tar.getnames())
    top = f"aioke-desktop-{VERSION}"
    for program in ("aioke-desktop", "aioke-sandbox", "aioke-cluster"):
        assert f"{top}/{program}" in names
    assert f"{top}/share/applications/{APP_ID}.desktop" in names


def test_the_installed_app_prints_the_package_version(built: Built, tmp_path: Path) -> None:
    command = _installed_command(built, tmp_path)
    done = subprocess.run(
        [str(command), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"aioke-desktop {VERSION}"


def test_the_installed_app_paints_its_window_on_a_real_x_server(
    built: Built, tmp_path: Path
) -> None:
    command = _installed_command(built, tmp_path)
    png = tmp_path / "window.png"
    began = time.monotonic()
    done = subprocess.run(
        [*XVFB, str(command), "--screenshot", str(png), "--size", "1280x800"],
        env=_x_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    print(f"\nfirst paint and exit: {time.monotonic() - began:.1f} s", file=sys.stderr)
    assert done.returncode == 0, done.stderr[-5000:]
    assert _colours(png) >= 8


@pytest.mark.usefixtures("no_strays")
def test_the_installed_sandbox_serves_a_cluster_and_stops_cleanly(
    built: Built, tmp_path: Path
) -> None:
    status = tmp_path / "sandbox.json"
    log = tmp_path / "sandbox.log"
    with log.open("wb") as out:
        places = ["--workdir", str(tmp_path / "work"), "--status-file", str(status)]
        sandbox = subprocess.Popen(
            [str(built.root / OPT / "aioke-sandbox"), *places, "--history-days", "1"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 240
        while not status.exists():
            assert sandbox.poll() is None, log.read_text()[-5000:]
            assert time.monotonic() < deadline, "the sandbox was not ready in 240 s"
            time.sleep(0.5)
        ready = json.loads(status.read_text())
        assert httpx.get(f"{ready['control_plane_url']}/healthz").json()["status"] == "ok"
        # The control plane is the bundle's own program, not a Python on this machine.
        cmdline = Path(f"/proc/{ready['control_plane_pid']}/cmdline").read_bytes().split(b"\0")
        assert cmdline[:2] == [str(built.root / OPT / "aioke-cluster").encode(), b"serve"]
        # Prometheus evaluates the SLO rules made from the bundle's resources/slos.
        rules = httpx.get(f"{ready['prometheus_url']}/api/v1/rules").json()["data"]["groups"]
        assert any("checkout" in group["name"] for group in rules)
    finally:
        sandbox.send_signal(signal.SIGTERM)
        code = sandbox.wait(60)
    assert code == 0, log.read_text()[-5000:]
    assert not status.exists()


@pytest.mark.usefixtures("no_strays")
def test_the_installed_app_runs_the_demo_and_saves_a_screenshot(
    built: Built, tmp_path: Path
) -> None:
    if shutil.which("prometheus") is None or shutil.which("prometheus-alertmanager") is None:
        pytest.fail("the demo needs prometheus and prometheus-alertmanager (bootstrap.sh)")
    command = _installed_command(built, tmp_path)
    png = tmp_path / "demo.png"
    began = time.monotonic()
    done = subprocess.run(
        [*XVFB, str(command), "--demo", "--screenshot", str(png), "--size", "1280x800"],
        env=_x_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=420,
        check=False,
    )
    print(f"\n--demo --screenshot: {time.monotonic() - began:.0f} s", file=sys.stderr)
    assert done.returncode == 0, done.stderr[-5000:]
    assert _colours(png) >= 16  # charts and status colours, not one flat error page
    assert not (tmp_path / "sandbox.json").exists(), "the app left its sandbox running"


def test_lintian_finds_no_errors(built: Built) -> None:
    verdict = subprocess.run(
        ["lintian", "--tag-display-limit", "0", str(built.deb)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    tags = [line for line in verdict.stdout.splitlines() if re.match(r"^[EW]: ", line)]
    print("\n" + "\n".join(tags), file=sys.stderr)
    errors = [line for line in tags if line.startswith("E: ")]
    assert not errors, "\n".join(errors)
    assert verdict.returncode == 0, verdict.stderr[-3000:]
