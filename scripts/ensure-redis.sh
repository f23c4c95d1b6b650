#!/usr/bin/env bash
# Installs redis-server, redis-cli and redis-benchmark (Debian's redis-server and redis-tools), and the RediSearch module
# the tests load (redis-redisearch), when any is missing. Used by the README's first command and by .ci/run. Leaves no system service running that
# the install itself started: slotgate's tests and demo start their own servers on free ports.
set -euo pipefail

# The RediSearch module (Debian's redis-redisearch) is what the tests load to show that slotgate routes
# commands its generated table does not know (test/integration/live-command-table.test.ts).
REDISEARCH_MODULE=/usr/lib/redis/modules/redisearch.so

have_redis_tools() {
  command -v redis-server >/dev/null 2>&1 &&
    command -v redis-cli >/dev/null 2>&1 &&
    command -v redis-benchmark >/dev/null 2>&1 &&
    [ -f "$REDISEARCH_MODULE" ]
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "need root (or sudo) to run: $*" >&2
    return 1
  fi
}

system_redis_running() {
  # The Debian/Ubuntu package starts a service on 6379 when an init system is present.
  command -v redis-cli >/dev/null 2>&1 && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1
}

if ! have_redis_tools; then
  echo "--- installing redis-server, redis-tools and redis-redisearch"
  redis_was_running=no
  if system_redis_running; then redis_was_running=yes; fi
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server redis-tools redis-redisearch
  if [ "$redis_was_running" = no ] && system_redis_running; then
    echo "--- stopping the redis-server service the package install started"
    as_root service redis-server stop || true
  fi
fi
echo "--- $(redis-server --version)"
