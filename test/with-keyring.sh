#!/usr/bin/env bash
# Inside a private D-Bus session: start gnome-keyring's Secret Service with an unlocked
# login collection, then run the given command.
set -euo pipefail
export XDG_DATA_HOME="${XDG_DATA_HOME_FOR_KEYRING:-$(mktemp -d)}"
eval "$(printf 'test-keyring' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL GMAILCTL_TEST_SECRET_SERVICE=1
exec "$@"
