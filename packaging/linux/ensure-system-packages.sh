#!/bin/sh
# Make sure the system libraries Qt needs are present (Debian/Ubuntu).
# As root: installs what is missing with apt-get. Otherwise: prints the exact command to run
# and fails. On other systems (no dpkg) it does nothing: Qt's wheels bring what they need
# on Windows and macOS, and other Linux distributions name these packages differently.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
list="$here/system-packages.txt"
extra="${1:-}"   # more packages, e.g. "poppler-utils" for the tests

command -v dpkg-query >/dev/null 2>&1 || exit 0
command -v apt-get >/dev/null 2>&1 || exit 0

wanted=$(grep -v '^#' "$list" | grep -v '^$')
missing=""
for pkg in $wanted $extra; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "installed" ] || missing="$missing $pkg"
done
# A Python without venv support (Debian's python3 without python3-venv) cannot make .venv.
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    missing="$missing python3-venv"
fi
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = "0" ]; then
    echo "Installing system packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
else
    echo "Inkseal needs these system packages first. Run:" >&2
    echo "    sudo apt-get install -y$missing" >&2
    exit 1
fi
