#!/usr/bin/env bash
# macOS: build "Governance Desktop.app", sign it, put it in a DMG, notarise and staple.
# Run on a Mac from the repository root, with the `package` extra installed:
#   SIGN_ID="Developer ID Application: Org (TEAMID)" NOTARY_PROFILE=gd-notary \
#     packaging/macos/make_dmg.sh
# Without SIGN_ID the app is ad-hoc signed (runs on the build Mac only); without
# NOTARY_PROFILE (made once with `xcrun notarytool store-credentials`) notarisation is skipped.
# Untested: written from Apple's and PyInstaller's documentation; needs a Mac.
set -euo pipefail
cd "$(dirname "$0")/../.."
ICONS=governance_desktop/resources/icons
VERSION=$(python -c 'import governance_desktop as g; print(g.__version__)')
OUT=build/packaging
APP="$OUT/dist/Governance Desktop.app"
DMG="$OUT/governance-desktop-$VERSION-macos.dmg"

# The .icns from the committed PNGs (iconutil ships with macOS).
ICONSET=$(mktemp -d)/governance-desktop.iconset
mkdir -p "$ICONSET"
for px in 16 32 128 256 512; do
  cp "$ICONS/governance-desktop-$px.png" "$ICONSET/icon_${px}x${px}.png"
done
for px in 16 32 128 256; do
  cp "$ICONS/governance-desktop-$((px * 2)).png" "$ICONSET/icon_${px}x${px}@2x.png" 2>/dev/null \
    || sips -z $((px * 2)) $((px * 2)) "$ICONS/governance-desktop-512.png" --out "$ICONSET/icon_${px}x${px}@2x.png"
done
iconutil -c icns "$ICONSET" -o "$ICONS/governance-desktop.icns"

python packaging/build.py --bundle-only --out "$OUT"

ENTITLEMENTS=packaging/macos/entitlements.plist
codesign --force --deep --options runtime --timestamp --entitlements "$ENTITLEMENTS" \
  --sign "${SIGN_ID:--}" "$APP"
codesign --verify --deep --strict --verbose=2 "$APP"

rm -f "$DMG"
STAGE=$(mktemp -d)
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
hdiutil create -volname "Governance Desktop" -srcfolder "$STAGE" -ov -format UDZO "$DMG"
if [[ -n "${SIGN_ID:-}" ]]; then
  codesign --force --timestamp --sign "$SIGN_ID" "$DMG"
fi
if [[ -n "${NOTARY_PROFILE:-}" ]]; then
  xcrun notarytool submit "$DMG" --keychain-profile "$NOTARY_PROFILE" --wait
  xcrun stapler staple "$DMG"
fi
echo "built $DMG"
