#!/usr/bin/env bash
# The whole test suite (the README's test command runs this after the build).
# Keychain tests need a real Secret Service: we start a private D-Bus session with an
# unlocked gnome-keyring so that nothing touches the user's own keychain.
# Outside CI a missing piece skips those tests with a notice; with CI=true it fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v dbus-run-session >/dev/null || missing+=("dbus-run-session (Debian: dbus)")
command -v gnome-keyring-daemon >/dev/null || missing+=("gnome-keyring-daemon (Debian: gnome-keyring)")
command -v secret-tool >/dev/null || missing+=("secret-tool (Debian: libsecret-tools)")
[ -x /usr/bin/chromium ] || missing+=("/usr/bin/chromium (Debian: chromium)")
if [ ${#missing[@]} -gt 0 ]; then
  if [ "${CI:-}" = "true" ]; then
    printf 'CI needs these system pieces and they are missing:\n' >&2
    printf '  - %s\n' "${missing[@]}" >&2
    exit 1
  fi
  printf 'notice: these are missing, so the tests that need them will be skipped:\n' >&2
  printf '  - %s\n' "${missing[@]}" >&2
fi

if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
  exec dbus-run-session -- bash test/with-keyring.sh npx vitest run "$@"
fi
exec npx vitest run "$@"
