#!/usr/bin/env bash
# Runs a command against a *locked* Secret Service collection. Meant to run inside its own
# throwaway keyring (dbus-run-session -- bash test/with-keyring.sh bash THIS ...), so that
# locking cannot disturb the keyring the other test files share.
#   reliability-locked-keyring.sh [--login-first] [--hung-prompter] -- COMMAND...
# --login-first runs `node bin/gmailctl.js login` (with the caller's environment) before
# locking. --hung-prompter puts a desktop prompter that never answers on the bus
# (hung-prompter.mjs). Facts go to stderr as "locked-keyring: key=value" lines — COMMAND's pid
# (for a signal), how long it took, how many unlock prompts it left open — and the exit
# status is COMMAND's.
set -uo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
login_first=0
hung_prompter=0
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case "$1" in
    --login-first) login_first=1 ;;
    --hung-prompter) hung_prompter=1 ;;
  esac
  shift
done
[ "${1:-}" = "--" ] && shift

say() { printf 'locked-keyring: %s\n' "$*" >&2; }
secrets() { dbus-send --session --print-reply --dest=org.freedesktop.secrets "$@"; }

# gnome-keyring may still be taking its name: a call before that would start a second one.
for _ in $(seq 1 100); do
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true' && break
  sleep 0.1
done
keyring_pid() { dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null | sed -n 's/.*uint32 //p'; }
say "keyring_pid=$(keyring_pid)"
collection=$(secrets /org/freedesktop/secrets org.freedesktop.Secret.Service.ReadAlias string:default | sed -n 's/.*object path "\(.*\)"/\1/p')
say "collection=${collection}"
[ -n "$collection" ] || { say "error=no default collection"; exit 90; }

if [ "$login_first" = 1 ]; then
  node "$here/bin/gmailctl.js" login --timeout 20 >&2 || { say "error=setup login failed"; exit 91; }
fi

prompter=
if [ "$hung_prompter" = 1 ]; then
  node "$here/test/helpers/hung-prompter.mjs" &
  prompter=$!
  for _ in $(seq 1 100); do
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.gnome.keyring.SystemPrompter 2>/dev/null | grep -q 'boolean true' && break
    sleep 0.1
  done
fi

secrets /org/freedesktop/secrets org.freedesktop.Secret.Service.Lock "array:objpath:${collection}" >/dev/null || { say "error=lock failed"; exit 92; }
locked=$(secrets "$collection" org.freedesktop.DBus.Properties.Get string:org.freedesktop.Secret.Collection string:Locked | sed -n 's/.*boolean \(true\|false\).*/\1/p')
say "locked=${locked}"

start=$(date +%s%N)
"$@" &
pid=$!
say "pid=${pid}"
wait "$pid"
status=$?
say "took_ms=$(( ($(date +%s%N) - start) / 1000000 ))"
say "keyring_pid_after=$(keyring_pid)"
# Prompts the command left open in the Secret Service (it drops those of a client that left).
say "prompts_left=$(secrets /org/freedesktop/secrets/prompt org.freedesktop.DBus.Introspectable.Introspect 2>/dev/null | grep -c '<node name=')"
[ -n "$prompter" ] && kill "$prompter" 2>/dev/null
exit "$status"
