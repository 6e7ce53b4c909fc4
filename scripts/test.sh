#!/usr/bin/env bash
# Set up a virtual environment with the test tools, then run the test suite.
# Extra arguments go to pytest. Set TEST_POSTGRES_URL to run the database tests on PostgreSQL.
set -euo pipefail
source "$(dirname "$0")/_venv.sh" test
source scripts/_chromium.sh
exec .venv/bin/python -m pytest "$@"
