#!/usr/bin/env bash
# `npm run demo`: the whole gmailctl flow on a fresh machine, against the built-in Google
# emulator — build, start the emulator with a seeded mailbox, log in through its consent
# endpoint (auto-approved), and list the unread mail. Everything happens in a throwaway
# directory — config dir with the file token store, message cache and code cache (the
# emulator's --print-env sets all three beside its client file) — and nothing leaves 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

npm run --silent build

work=$(mktemp -d "${TMPDIR:-/tmp}/gmailctl-demo.XXXXXX")
emulator_pid=
cleanup() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

node --import tsx test/emulator/main.ts --port 0 --messages 300 \
  --write-credentials "$work/credentials.json" --print-env >"$work/env" 2>"$work/emulator.log" &
emulator_pid=$!
for _ in $(seq 100); do
  grep -q GMAILCTL_API_ROOT "$work/env" 2>/dev/null && break
  kill -0 "$emulator_pid" 2>/dev/null || { cat "$work/emulator.log" >&2; exit 1; }
  sleep 0.1
done
# shellcheck disable=SC1091
. "$work/env"
# The emulator approves consent at once; this stand-in "browser" just follows its redirect
# back to gmailctl's listener, as your browser does after you press Allow.
export GMAILCTL_BROWSER="node test/helpers/follow-redirects.mjs"

gmailctl() { node bin/gmailctl.js "$@"; }
show() { if [ -t 2 ]; then printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; else printf '\n$ %s\n' "$*" >&2; fi; }

show gmailctl login --insecure-storage
gmailctl login --insecure-storage
show gmailctl status
gmailctl status
show gmailctl list -q label:UNREAD
gmailctl list -q label:UNREAD
show "gmailctl list -q label:UNREAD --format ids | wc -l"
gmailctl list -q label:UNREAD --format ids | wc -l
