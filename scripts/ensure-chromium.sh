#!/bin/sh
# The browser tests drive Debian's Chromium (playwright-core never downloads a browser). Installs it
# when missing and apt-get can, so `npm ci && npm test` works on a fresh Debian machine as root.
set -eu
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Chromium for the browser tests (apt-get install chromium)..."
  apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null
  [ -x "$CHROMIUM" ] && exit 0
fi
echo "The browser tests need Chromium at $CHROMIUM: install Debian's chromium package (apt-get install chromium)." >&2
exit 1
