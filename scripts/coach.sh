#!/usr/bin/env bash
# Set up a virtual environment (first run only) and start the coach in the terminal.
set -euo pipefail
source "$(dirname "$0")/_venv.sh" ""
exec .venv/bin/python app.py console "$@"
