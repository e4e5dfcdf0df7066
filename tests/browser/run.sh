#!/bin/sh
# run.sh NLOGD WORKDIR: the live page's end-to-end test in Debian's Chromium.
# Installs playwright-core with `npm ci` from the committed package-lock.json
# into WORKDIR (never into the source tree, never a browser download), then
# runs live_page.test.mjs there. The screenshot is left in WORKDIR.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
nlogd=$1
work=$2
mkdir -p "$work"
cp "$here/package.json" "$here/package-lock.json" "$here/live_page.test.mjs" "$work/"
cd "$work"
if [ ! -x /usr/bin/chromium ]; then
  echo "live_page: /usr/bin/chromium is missing (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
# PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: playwright-core downloads nothing, but be explicit.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >npm-ci.log 2>&1 || {
  cat npm-ci.log >&2
  exit 1
}
exec node live_page.test.mjs "$nlogd" "$work"
