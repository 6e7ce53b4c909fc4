# Sourced by the scripts here: the page tests render in a real headless browser, so install
# Debian's chromium when it is missing (quietly; only the log's tail if it fails).
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  echo "== installing chromium (the page tests render in a headless browser)"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  log="$(mktemp)"
  if ! timeout 900 $sudo sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends chromium' >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "chromium could not be installed; install it (apt-get install chromium) and try again." >&2
    exit 1
  fi
  rm -f "$log"
fi
