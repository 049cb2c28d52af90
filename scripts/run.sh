#!/usr/bin/env bash
# Installs the app into .venv and starts it; on first run it builds the demo warehouse.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
exec .venv/bin/streamlit run app/serve.py "$@"
