# Sourced by the scripts here: make .venv with the project installed, extras in $1 (optional).
# Reinstalls only when pyproject.toml changed since the last install of those extras.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "Feedback Call Coach needs Python 3.11 or newer." >&2
  exit 1
}
extras="${1:-}"
marker=".venv/.installed${extras:+-$extras}"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
installed() { [ -f "$1" ] && [ ! pyproject.toml -nt "$1" ]; }
# An install with the test extras serves the plain coach as well.
if ! installed "$marker" && ! { [ -z "$extras" ] && installed .venv/.installed-test; }; then
  # -qq: errors only. Otherwise pip echoes this machine's index settings and setuptools its
  # generic caution about editable installs, which tell a newcomer nothing about the coach.
  .venv/bin/python -m pip install -qq --upgrade pip
  .venv/bin/python -m pip install -qq -e ".${extras:+[$extras]}"
  touch "$marker"
fi
