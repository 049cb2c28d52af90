#!/usr/bin/env bash
# Installs everything the test suite needs into .venv (and Debian's Chromium for
# the browser tests when it is missing), then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
if [ ! -x /usr/bin/chromium ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    # Another apt may hold the lock (unattended upgrades, a parallel install): wait for it.
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium
fi
exec .venv/bin/python -m pytest "$@"
