#!/usr/bin/env bash
# Runs a named part of the integration suite against the servers users run beside Debian's Redis
# 7.0.15: Redis 7.2.6 and Valkey 8.0.1, each built once from the sources in
# ../shared/anchors/redis-versions (its build.sh) into a cache. Used by .ci/run after the full suite;
# locally: `npm run build && scripts/test-server-versions.sh [redis-7.2.6|valkey-8.0.1 ...]`.
#
# env: REDIS_VERSIONS_DIR   where build.sh and the tarballs are (default ../shared/anchors/redis-versions
#                           beside the clone; read-only is fine)
#      REDIS_VERSIONS_CACHE where the builds go (default ~/.cache/redis-versions: must be writable)
# The tests start every node with REDIS_SERVER (scripts/dev/redis-server.ts) and its cli beside it;
# oracles of replies slotgate makes itself stay Debian's redis-server (referenceRedisServer()).
set -euo pipefail

cd "$(dirname "$0")/.."

versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(redis-7.2.6 valkey-8.0.1)
sources=${REDIS_VERSIONS_DIR:-../shared/anchors/redis-versions}
export REDIS_VERSIONS_CACHE=${REDIS_VERSIONS_CACHE:-$HOME/.cache/redis-versions}
[ -x "$sources/build.sh" ] || { echo "no $sources/build.sh: set REDIS_VERSIONS_DIR to the redis-versions folder" >&2; exit 2; }

# The part of the suite that covers what changes between server versions: routing and the command
# table, the differential fuzz, node targeting and INFO masking, fan-out, transactions and blocking
# (raw-protocol), pub/sub (with a reshard moving shard channels), RESP3, sessions (CLIENT, their
# lifecycle: nothing left on the nodes after random client lives), the peer bus,
# failover, replica reads, TLS and backend sign-in, and the standalone and Sentinel backends.
# (live-command-table is left out: Debian's RediSearch module is built for Redis 7.0.)
FILES=(
  test/integration/smoke.test.ts
  test/integration/commands-parity.test.ts
  test/integration/command-fuzz.test.ts
  test/integration/keyless-commands.test.ts
  test/integration/node-target.test.ts
  test/integration/raw-protocol.test.ts
  test/integration/fanout.test.ts
  test/integration/pubsub.test.ts
  test/integration/pubsub-cluster-changes.test.ts
  test/integration/resp3.test.ts
  test/integration/clients.test.ts
  test/integration/session-lifecycle.test.ts
  test/integration/peer-bus.test.ts
  test/integration/failover.test.ts
  test/integration/replica-reads.test.ts
  test/integration/tls.test.ts
  test/integration/backend-auth.test.ts
  test/integration/standalone-backend.test.ts
  test/integration/sentinel-backend.test.ts
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "need root (or sudo) to run: $*" >&2; return 1
  fi
}

# A C toolchain and OpenSSL headers (TLS builds, as the tls tests would need), on a fresh Debian.
if ! command -v make >/dev/null 2>&1 || ! command -v cc >/dev/null 2>&1 || [ ! -f /usr/include/openssl/ssl.h ]; then
  echo "--- installing build-essential, pkg-config and libssl-dev to build the servers"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential pkg-config libssl-dev >/dev/null
fi

status=0
for version in "${versions[@]}"; do
  echo "--- $version: build (cached in $REDIS_VERSIONS_CACHE)"
  bin=$("$sources/build.sh" "$version")
  server="$bin/${version%%-*}-server"
  echo "--- $version: $("$server" --version)"
  REDIS_SERVER=$server npx vitest run --project integration "${FILES[@]}" || status=1
done
exit "$status"
