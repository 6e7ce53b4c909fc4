#!/usr/bin/env bash
# Set up a virtual environment with the test tools, then run the test suite.
# Extra arguments go to pytest. Set TEST_POSTGRES_URL to run the database tests on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "Feedback Call Coach needs Python 3.11 or newer." >&2
  exit 1
}
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if [ ! -f .venv/.installed-test ] || [ pyproject.toml -nt .venv/.installed-test ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[test]'
  touch .venv/.installed-test .venv/.installed
fi
exec .venv/bin/python -m pytest "$@"
