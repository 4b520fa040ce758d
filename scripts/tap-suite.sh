#!/bin/sh
# Every tap test, in two phases (both passes of `npm test` run this):
#  1. all but the browser tests, several files at once: most of them wait on sockets and timers;
#  2. the browser tests, one file at a time: a headless Chromium takes most of two cores, and two
#     of them beside other tests ran past their page timeouts on a two-core machine.
# tap's own default on two cores is one file at a time for everything (about twice as long).
# Both phases run even when the first fails, so one run shows every failure.
#
#   sh scripts/tap-suite.sh                  the whole suite
#   sh scripts/tap-suite.sh test/app.test.ts only these files (tap arguments)
set -u
cd "$(dirname "$0")/.."
tap=node_modules/.bin/tap
if [ $# -gt 0 ]; then
  exec "$tap" --disable-coverage "$@"
fi
jobs=${TAP_JOBS:-$(($(node -p 'require("node:os").availableParallelism()') + 1))}
status=0
"$tap" --disable-coverage --jobs="$jobs" --exclude='test/browser/**' || status=1
"$tap" --disable-coverage --jobs=1 'test/browser/*.test.ts' || status=1
exit $status
