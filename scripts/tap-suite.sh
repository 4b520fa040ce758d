#!/bin/sh
# Every tap test, in two phases (both passes of `npm test` run this):
#  1. all but the browser tests, several files at once: most of them wait on sockets and timers;
#  2. the browser tests, one file at a time: a headless Chromium takes most of two cores, and two
#     of them beside other tests ran past their page timeouts on a two-core machine. They are
#     test/browser/ and the sandbox's app-page events (kept beside the sandbox's other tests, which
#     sandbox/README.md cites by file name).
# tap's own default on two cores is one file at a time for everything (about twice as long).
# Both phases run even when the first fails, so one run shows every failure.
#
#   sh scripts/tap-suite.sh                  the whole suite
#   sh scripts/tap-suite.sh test/app.test.ts only these files (tap arguments)
set -u
cd "$(dirname "$0")/.."
tap=node_modules/.bin/tap
# tap rebuilds its test class when package.json's plugins differ from the installed build, but only
# after it has picked the run's loaders: the first run after `npm ci` would load the TypeScript
# plugin (ts-node, a third of a second in every test process) that package.json turns off.
built=node_modules/@tapjs/test/test-built/dist/esm/index.js
signature=$(sed -n '/^export const signature = `/,/`/p' "$built" | sed '1s/^export const signature = `//; $s/`;*$//')
if [ "$signature" != "$("$tap" plugin list)" ]; then
  "$tap" build >/dev/null
fi
if [ $# -gt 0 ]; then
  exec "$tap" --disable-coverage "$@"
fi
jobs=${TAP_JOBS:-$(($(node -p 'require("node:os").availableParallelism()') + 1))}
status=0
browser_sandbox=test/sandbox/app-events.test.ts
"$tap" --disable-coverage --jobs="$jobs" --exclude='test/browser/**' --exclude="$browser_sandbox" || status=1
"$tap" --disable-coverage --jobs=1 'test/browser/*.test.ts' "$browser_sandbox" || status=1
exit $status
