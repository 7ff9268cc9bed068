#!/usr/bin/env bash
# Runs a command against a *locked* Secret Service collection. Meant to run inside its own
# throwaway keyring (dbus-run-session -- bash test/with-keyring.sh bash THIS ...), so that
# locking cannot disturb the keyring the other test files share.
#   reliability-locked-keyring.sh [--login-first] -- COMMAND...
# --login-first runs `node bin/gmailctl.js login` (with the caller's environment) before
# locking. Facts go to stderr as "locked-keyring: key=value" lines; the exit status is COMMAND's.
set -uo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
login_first=0
if [ "${1:-}" = "--login-first" ]; then login_first=1; shift; fi
[ "${1:-}" = "--" ] && shift

say() { printf 'locked-keyring: %s\n' "$*" >&2; }
secrets() { dbus-send --session --print-reply --dest=org.freedesktop.secrets "$@"; }

collection=$(secrets /org/freedesktop/secrets org.freedesktop.Secret.Service.ReadAlias string:default | sed -n 's/.*object path "\(.*\)"/\1/p')
say "collection=${collection}"
[ -n "$collection" ] || { say "error=no default collection"; exit 90; }

if [ "$login_first" = 1 ]; then
  node "$here/bin/gmailctl.js" login --timeout 20 >&2 || { say "error=setup login failed"; exit 91; }
fi

secrets /org/freedesktop/secrets org.freedesktop.Secret.Service.Lock "array:objpath:${collection}" >/dev/null || { say "error=lock failed"; exit 92; }
locked=$(secrets "$collection" org.freedesktop.DBus.Properties.Get string:org.freedesktop.Secret.Collection string:Locked | sed -n 's/.*boolean \(true\|false\).*/\1/p')
say "locked=${locked}"

start=$(date +%s%N)
"$@"
status=$?
say "took_ms=$(( ($(date +%s%N) - start) / 1000000 ))"
exit "$status"
