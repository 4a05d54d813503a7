"""Build the Linux packages: the PyInstaller onedir bundle, a ``.deb`` and a ``.tar.gz``.

    .venv/bin/python packaging/build_deb.py [--out dist] [--fast]

writes ``dist/aioke-desktop_<version>_<arch>.deb`` and
``dist/aioke-desktop-<version>-linux-<machine>.tar.gz``. The ``.deb`` installs the bundle in
``/opt/aioke-desktop`` with ``/usr/bin/aioke-desktop``, a ``.desktop`` file, AppStream
metainfo, hicolor icons, a manual page and lintian overrides; ``apt install ./<file>.deb``
pulls in the system libraries it needs. ``--fast`` compresses at level 1 (tests).

Run on Debian or Ubuntu: it needs ``dpkg-deb``, ``objdump`` and ``strip`` (dpkg-dev,
binutils) and ``patchelf``, which ``packaging/bootstrap.sh`` installs.
"""

from __future__ import annotations

import argparse
import email.utils
import gzip
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from importlib.metadata import distribution
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from icons import APP_ID, SVG, render_hicolor  # a sibling script, not a package

ROOT = Path(__file__).resolve().parent.parent
LINUX = ROOT / "packaging" / "linux"
SPEC = ROOT / "packaging" / "aioke-desktop.spec"
PREFIX = Path("opt/aioke-desktop")
Done = subprocess.CompletedProcess[str]

# Named outright, whatever the scan of the bundle's links finds: what Qt opens at run time
# (EGL and GL, Wayland, fontconfig, D-Bus) and what its X11 platform plugin links (xcb and
# its cursor, keyboard and image libraries), so no change in what PyInstaller bundles can
# ever drop one of them.
RUNTIME_DEPENDS = [
    "libegl1",
    "libgl1",
    "libxcb1",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-xkb1",
    "libxkbcommon-x11-0",
    "libwayland-client0",
    "libwayland-cursor0",
    "libwayland-egl1",
    "libfontconfig1",
    "libdbus-1-3",
    "libglib2.0-0",
]


def log(message: str) -> None:
    print(f"[build_deb] {message}", file=sys.stderr, flush=True)


def run(argv: list[str], *, capture_output: bool = False) -> Done:
    """Run a build tool; its failure stops the build."""
    return subprocess.run(  # noqa: S603 - our build tools, with arguments we built
        argv, check=True, text=True, capture_output=capture_output
    )


def package_metadata() -> tuple[str, str]:
    """The distribution's name and version: the one version number, from pyproject.toml."""
    dist = distribution("aioke-desktop")
    return dist.metadata["Name"], dist.version


def build_bundle(work: Path) -> Path:
    """Run PyInstaller on the spec; the onedir bundle."""
    run(
        [
            sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
            "--workpath", str(work / "pyinstaller"), "--distpath", str(work / "dist"), str(SPEC),
        ]
    )  # fmt: skip
    return work / "dist" / "aioke-desktop"


def _elf_files(top: Path) -> Iterator[Path]:
    for path in sorted(top.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    yield path


def _dynamic_sections(files: list[Path]) -> dict[Path, str]:
    """Each ELF file's ``objdump -p`` text (dynamic section, version references), in one run."""
    if not files:
        return {}
    dump = run(["objdump", "-p", *map(str, files)], capture_output=True).stdout
    parts = re.split(r"^(\S.*):\s+file format \S+$", dump, flags=re.MULTILINE)
    return {Path(name): text for name, text in zip(parts[1::2], parts[2::2], strict=True)}


def _runpath(dynamic: str) -> list[str]:
    found = re.search(r"^\s+(?:RUNPATH|RPATH)\s+(\S+)$", dynamic, re.MULTILINE)
    return [entry for entry in found.group(1).split(":") if entry] if found else []


def fix_runpaths(bundle: Path) -> None:
    """Keep only ``$ORIGIN`` entries in RUNPATHs.

    A Python built from source (pyenv) leaves its build prefix in every extension module's
    RUNPATH, which would make the installed app search a path of the build machine.
    """
    for path, dynamic in _dynamic_sections(list(_elf_files(bundle))).items():
        entries = _runpath(dynamic)
        inside = [entry for entry in entries if entry.startswith("$ORIGIN")]
        if inside == entries:
            continue
        if inside:
            run(["patchelf", "--set-rpath", ":".join(inside), str(path)])
        else:
            run(["patchelf", "--remove-rpath", str(path)])


def strip_objects(bundle: Path) -> list[Path]:
    """Strip debug symbols from shared objects as dh_strip would; the objects left as they are.

    Left alone: the programs (PyInstaller's bootloader keeps its archive in an ELF section
    of its own), and whatever auditwheel already rewrote with patchelf (the ``*.libs``
    folders and objects with an ``$ORIGIN`` RUNPATH): strip re-lays a patched file out into
    one the loader refuses ("ELF load command address/offset not page-aligned").
    """
    objects = _dynamic_sections(list(_elf_files(bundle / "_internal")))
    patched = [
        path
        for path, dynamic in objects.items()
        if path.parent.name.endswith(".libs")
        or any(entry.startswith("$ORIGIN") for entry in _runpath(dynamic))
    ]
    plain = [str(p) for p in objects if p not in patched]
    run(["strip", "--remove-section=.comment", "--remove-section=.note", "--strip-unneeded",
         *plain])  # fmt: skip
    return sorted(patched)


def owning_packages(paths: list[Path]) -> dict[Path, str]:
    """The Debian package of each file in ``paths`` that one owns, in one dpkg query.

    With merged /usr, dpkg knows a library under either /lib or /usr/lib, so both are asked.
    """
    aliases: dict[str, Path] = {}
    for path in paths:
        text = str(path)
        other = text.removeprefix("/usr") if text.startswith("/usr/") else "/usr" + text
        aliases[text] = aliases[other] = path
    if not aliases:
        return {}
    # Not run(): dpkg -S fails when any one path is unowned, and still names the others.
    answer = subprocess.run(  # noqa: S603 - dpkg with paths we built
        ["dpkg", "-S", *aliases],  # noqa: S607 - dpkg from PATH, as every Debian tool
        capture_output=True,
        text=True,
        check=False,
    )
    owners = {}
    for line in answer.stdout.splitlines():
        package, _, owned = line.partition(": ")
        if owned in aliases:
            owners[aliases[owned]] = package.split(":")[0]
    return owners


def _system_libraries() -> dict[str, Path]:
    """soname → path of the libraries the dynamic linker knows (``ldconfig -p``) for this
    machine's architecture."""
    tag = {"x86_64": "x86-64", "aarch64": "AArch64"}.get(platform.machine(), platform.machine())
    listing = run(["/sbin/ldconfig", "-p"], capture_output=True).stdout
    found: dict[str, Path] = {}
    for line in listing.splitlines():
        match = re.match(r"\s+(\S+) \((.*)\) => (\S+)$", line)
        if match and tag in match.group(2):
            found.setdefault(match.group(1), Path(match.group(3)))
    return found


def unbundle_system_libraries(bundle: Path) -> list[str]:
    """Remove PyInstaller's copies of Debian's own libraries; the packages that provide them.

    The system's copies get security updates from apt, and a bundled libstdc++ older than
    the system's breaks Mesa's GL drivers. Only byte-identical copies go, so the bundle
    keeps exactly what it was built and tested with; the Python runtime, Qt and the wheels'
    private libraries stay: Debian has no identical copies of them.
    """
    system = _system_libraries()
    copies = {
        library: system[library.name]
        for library in sorted((bundle / "_internal").glob("lib*.so*"))
        if library.name in system
        and not library.name.startswith("libpython")
        and system[library.name].read_bytes() == library.read_bytes()
    }
    owners = owning_packages(list(copies.values()))
    for library, original in copies.items():
        if original in owners:
            library.unlink()
    return sorted(set(owners.values()))


def linked_depends(bundle: Path) -> list[str]:
    """The packages of the system libraries the bundle's ELF files link (NEEDED), with a
    minimum libc6 from the newest glibc symbol version they use.

    dpkg-shlibdeps would say the same with more version detail, but takes minutes over the
    bundle's few hundred objects on 2 cores; one objdump and one dpkg query take seconds.

    Raises:
        RuntimeError: a linked library is neither in the bundle nor in an installed package.
    """
    dump = "\n".join(_dynamic_sections(list(_elf_files(bundle))).values())
    carried = {path.name for path in bundle.rglob("*.so*")}
    needed = set(re.findall(r"^\s+NEEDED\s+(\S+)$", dump, re.MULTILINE)) - carried
    system = _system_libraries()
    missing = sorted(name for name in needed if name not in system)
    owners = owning_packages([system[name] for name in needed if name in system])
    missing += sorted(name for name in needed if name in system and system[name] not in owners)
    if missing:
        raise RuntimeError(
            f"the bundle links {', '.join(missing)}, which no installed package provides; "
            "install the package (and add it to RUNTIME_DEPENDS if it is loaded at run time)"
        )
    packages = set(owners.values())
    glibc = re.findall(r"\bGLIBC_(\d+(?:\.\d+)+)\b", dump)
    if glibc and "libc6" in packages:
        packages.discard("libc6")
        newest = max(glibc, key=lambda v: tuple(int(part) for part in v.split(".")))
        packages.add(f"libc6 (>= {newest})")
    return sorted(packages)


def merge_depends(*groups: list[str]) -> str:
    """One Depends field; a versioned entry wins over a bare one for the same package."""
    chosen: dict[str, str] = {}
    for group in groups:
        for item in group:
            name = item.split()[0]
            if name not in chosen or "(" in item:
                chosen[name] = item
    return ", ".join(chosen[name] for name in sorted(chosen))


def _fill(template: Path, **values: str) -> str:
    text = template.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


def _gzip_to(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(data)


def manual_page(bundle: Path, version: str) -> bytes:
    """A section 1 page from the program's own ``--help``, so the two never disagree."""
    usage = run([str(bundle / "aioke-desktop"), "--help"], capture_output=True).stdout
    escaped = usage.replace("\\", "\\\\").replace("\n.", "\n\\&.").replace("\n'", "\n\\&'")
    return (
        f'.TH AIOKE-DESKTOP 1 "" "aioke-desktop {version}" "User Commands"\n'
        ".SH NAME\naioke-desktop \\- operations console for on-call engineers\n"
        ".SH SYNOPSIS\n.B aioke-desktop\n[\\fIoptions\\fR]\n"
        ".SH DESCRIPTION\nAioke shows golden signals, SLOs and alerts, and operates feature "
        "flags, circuit breakers, chaos experiments and runbooks.\n"
        ".SH OPTIONS\n.nf\n" + escaped + ".fi\n"
        ".SH FILES\n.TP\n.I ~/.config/aioke-desktop/config.toml\ncontexts and settings\n"
    ).encode()


def stage(bundle: Path, root: Path, *, name: str, version: str, maintainer: str) -> None:
    """Lay out the package's file tree under ``root``."""
    opt = root / PREFIX
    shutil.copytree(bundle, opt, symlinks=True)
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/aioke-desktop").symlink_to(f"/{PREFIX}/aioke-desktop")
    share = root / "usr/share"
    (share / "applications").mkdir(parents=True)
    shutil.copy(LINUX / f"{APP_ID}.desktop", share / "applications")
    today = time.strftime("%Y-%m-%d", time.gmtime(_build_time()))
    (share / "metainfo").mkdir()
    (share / "metainfo" / f"{APP_ID}.metainfo.xml").write_text(
        _fill(LINUX / f"{APP_ID}.metainfo.xml", VERSION=version, DATE=today), encoding="utf-8"
    )
    render_hicolor(share / "icons")
    (share / "icons/hicolor/scalable/apps").mkdir(parents=True)
    shutil.copy(SVG, share / "icons/hicolor/scalable/apps")
    doc = share / "doc" / name
    doc.mkdir(parents=True)
    shutil.copy(LINUX / "copyright", doc / "copyright")
    stamp = email.utils.formatdate(_build_time(), usegmt=True).replace("GMT", "+0000")
    changelog = (
        f"{name} ({version}) unstable; urgency=medium\n\n"
        f"  * Release {version}.\n\n -- {maintainer}  {stamp}\n"
    )
    _gzip_to(doc / "changelog.gz", changelog.encode())
    _gzip_to(share / "man/man1/aioke-desktop.1.gz", manual_page(bundle, version))
    (share / "lintian/overrides").mkdir(parents=True)
    shutil.copy(LINUX / "lintian-overrides", share / "lintian/overrides" / name)


def normalise_modes(root: Path) -> None:
    """0755 for directories and programs, 0644 for everything else (shared objects too)."""
    programs = {"aioke-desktop", "aioke-sandbox", "aioke-cluster"}
    for path in root.rglob("*"):
        if path.is_symlink():
            continue
        if path.is_dir() or (path.parent.name == PREFIX.name and path.name in programs):
            path.chmod(0o755)
        else:
            path.chmod(0o644)


def _build_time() -> float:
    return float(os.environ.get("SOURCE_DATE_EPOCH", time.time()))


def installed_size_kib(root: Path) -> int:
    files = (p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    return sum(p.stat().st_size for p in files) // 1024 + 1


def write_control(root: Path, *, version: str, arch: str, maintainer: str, depends: str) -> None:
    debian = root / "DEBIAN"
    debian.mkdir(mode=0o755)
    control = _fill(
        LINUX / "control",
        VERSION=version,
        ARCH=arch,
        MAINTAINER=maintainer,
        INSTALLED_SIZE=str(installed_size_kib(root)),
        DEPENDS=depends,
    )
    (debian / "control").write_text(control, encoding="utf-8")
    (debian / "control").chmod(0o644)


def build_deb(root: Path, out: Path, level: int) -> Path:
    run(["dpkg-deb", "--root-owner-group", "-Zgzip", f"-z{level}", "--build", str(root), str(out)])
    return out


def build_tarball(bundle: Path, out: Path, top: str, level: int) -> Path:
    """The onedir bundle as ``top/``, for distributions without dpkg."""
    with tarfile.open(out, "w:gz", compresslevel=level) as tar:
        tar.add(bundle, arcname=top)
        tar.add(LINUX / f"{APP_ID}.desktop", arcname=f"{top}/share/applications/{APP_ID}.desktop")
        tar.add(SVG, arcname=f"{top}/share/icons/hicolor/scalable/apps/{APP_ID}.svg")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="default: dist/")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="default: build/")
    parser.add_argument("--bundle", type=Path, help="reuse this onedir build (skip PyInstaller)")
    parser.add_argument("--fast", action="store_true", help="compress at level 1 (tests)")
    args = parser.parse_args(argv)
    level = 1 if args.fast else 9
    name, version = package_metadata()
    arch = run(["dpkg", "--print-architecture"], capture_output=True).stdout.strip()
    maintainer = os.environ.get("AIOKE_MAINTAINER", "Aioke developers <developers@aioke.invalid>")
    args.out.mkdir(parents=True, exist_ok=True)
    args.work.mkdir(parents=True, exist_ok=True)

    began = time.monotonic()
    bundle = args.bundle or build_bundle(args.work)
    log(f"bundle: {bundle} ({time.monotonic() - began:.0f} s)")

    step = time.monotonic()
    root = args.work / "deb-root"
    shutil.rmtree(root, ignore_errors=True)
    stage(bundle, root, name=name, version=version, maintainer=maintainer)
    unbundled = unbundle_system_libraries(root / PREFIX)
    log(f"uses the system's copies from {len(unbundled)} packages: {', '.join(unbundled)}")
    kept = strip_objects(root / PREFIX)
    log(f"left {len(kept)} objects unstripped: their wheels rewrote them with patchelf")
    fix_runpaths(root / PREFIX)  # after strip: strip would ruin objects patchelf rewrote
    depends = merge_depends(linked_depends(root / PREFIX), RUNTIME_DEPENDS)
    normalise_modes(root)
    write_control(root, version=version, arch=arch, maintainer=maintainer, depends=depends)
    deb = build_deb(root, args.out / f"{name}_{version}_{arch}.deb", level)
    log(f"deb: {deb} ({time.monotonic() - step:.0f} s; {deb.stat().st_size // 2**20} MiB)")

    step = time.monotonic()
    fix_runpaths(bundle)
    tarball = args.out / f"{name}-{version}-linux-{platform.machine()}.tar.gz"
    build_tarball(bundle, tarball, f"{name}-{version}", level)
    log(f"tarball: {tarball} ({time.monotonic() - step:.0f} s)")
    print(deb)
    print(tarball)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
