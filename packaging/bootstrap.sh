#!/usr/bin/env bash
# One entry point for a fresh Debian 12 / Ubuntu machine:
#   bash packaging/bootstrap.sh demo   installs everything, then starts the demo
#   bash packaging/bootstrap.sh test   installs everything, then runs every check and test
# Idempotent: a second run installs nothing and starts at once.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# System packages the app, the sandbox and the tests need.
APT_PACKAGES=(
  python3 python3-venv                                   # only used when no python3.11 is on PATH
  libegl1 libgl1 libfontconfig1 libxkbcommon0 libglib2.0-0 libdbus-1-3   # Qt's runtime
  prometheus prometheus-alertmanager                     # the sandbox's monitoring
  victoria-metrics                                       # a Prometheus-compatible store (compatibility test)
  gnome-keyring dbus-daemon dbus-x11                     # a real Secret Service for the keyring test
  xvfb trayer dunst                                      # a real X server, tray host and notification daemon (tray tests)
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-render-util0 libxcb-image0   # Qt's xcb platform
  xauth lintian dpkg-dev patchelf                        # the packaging test: build, check and start the .deb (and xvfb)
)

log() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_apt_packages() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

install_venv() {
  local python stamp want
  python="$(command -v python3.11 || command -v python3)"
  if [ ! -x .venv/bin/python ]; then
    log "creating .venv with $python"
    "$python" -m venv .venv
  fi
  # Reinstall only when the dependency list changed.
  want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
  stamp=.venv/.aioke-installed
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "installing Python packages into .venv"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[dev]'
    echo "$want" > "$stamp"
  fi
}

run_checks() {
  export PATH="$ROOT/.venv/bin:$PATH"
  log "ruff";          ruff check . && ruff format --check .
  log "mypy";          mypy
  log "import-linter"; lint-imports
  log "pytest";        QT_QPA_PLATFORM=offscreen pytest "$@"
}

main() {
  local what="${1:-}"
  shift || true
  case "$what" in
    demo) install_apt_packages; install_venv; exec .venv/bin/aioke-desktop --demo "$@" ;;
    test) install_apt_packages; install_venv; run_checks "$@" ;;
    *) echo "usage: $0 demo|test [args...]" >&2; exit 2 ;;
  esac
}

main "$@"
