#!/usr/bin/env bash
# Build Aioke.app and a .dmg on macOS, from the same spec as the Linux packages.
#   bash packaging/macos/build_dmg.sh
# Signed and notarised (see README.md beside this script):
#   AIOKE_CODESIGN_IDENTITY="Developer ID Application: Name (TEAMID)" \
#   AIOKE_NOTARY_PROFILE=aioke bash packaging/macos/build_dmg.sh
# Not built or tested in this repository's CI, which runs on Linux only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-.venv/bin/python}"

version="$("$PYTHON" -c 'from importlib.metadata import version; print(version("aioke-desktop"))')"
"$PYTHON" packaging/icons.py build/icons >/dev/null          # aioke.icns for the bundle
"$PYTHON" -m PyInstaller --noconfirm --workpath build/pyinstaller --distpath dist \
  packaging/aioke-desktop.spec                                 # signs too, when the identity is set

app=dist/Aioke.app
if [ -n "${AIOKE_CODESIGN_IDENTITY:-}" ]; then
  codesign --verify --deep --strict --verbose=2 "$app"
fi

dmg="dist/aioke-desktop-${version}-macos-$(uname -m).dmg"
rm -f "$dmg"
staging="$(mktemp -d)"
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"                  # drag the app onto it to install
hdiutil create -volname "Aioke ${version}" -srcfolder "$staging" -ov -format UDZO "$dmg"
rm -rf "$staging"

if [ -n "${AIOKE_NOTARY_PROFILE:-}" ]; then
  codesign --sign "$AIOKE_CODESIGN_IDENTITY" --timestamp "$dmg"
  xcrun notarytool submit "$dmg" --keychain-profile "$AIOKE_NOTARY_PROFILE" --wait
  xcrun stapler staple "$dmg"
fi
echo "$dmg"
