#!/usr/bin/env bash
# Runs units of Redis's own test suite through slotgate, each unit against a fresh local cluster
# (`npm run dev`: 3 masters, 3 replicas, slotgate from this checkout's sources), and prints the
# passed/failed counts per unit. Needs tclsh (Debian: apt-get install tcl) and redis-server.
#
#   scripts/redis-suite.sh                       # the default units
#   scripts/redis-suite.sh unit/pubsub unit/multi
#   REDIS_SOURCE=/path/redis-7.2.6.tar.gz scripts/redis-suite.sh   # a source tarball or tree
#
# Without REDIS_SOURCE the 7.2.6 sources are downloaded from download.redis.io. Logs of each unit
# are kept in $SUITE_LOGS (default: a temporary directory, printed at the end).
# SUITE_TARGET=direct runs the same units against one redis-server (the same binary the cluster
# uses), for the figures to compare with. Tests needing what slotgate refuses by design (DEBUG,
# PFDEBUG, LATENCY, SAVE, replication commands, a local server process) are left out with
# `--tags`, in both targets; SUITE_TAGS replaces that list.
set -euo pipefail

cd "$(dirname "$0")/.."
units=("$@")
[ ${#units[@]} -gt 0 ] || units=(unit/pubsub unit/pubsubshard unit/multi unit/expire unit/bitops unit/protocol unit/type/stream-cgroups unit/keyspace unit/type/incr unit/type/string unit/type/hash unit/type/set unit/type/list unit/type/zset unit/info-command unit/other)
command -v tclsh >/dev/null || { echo "tclsh is missing (apt-get install tcl)" >&2; exit 2; }

work=$(mktemp -d)
logs=${SUITE_LOGS:-$work/logs}
mkdir -p "$logs"
source=${REDIS_SOURCE:-}
if [ -z "$source" ]; then
  source=$work/redis.tar.gz
  curl -fsSL -o "$source" https://download.redis.io/releases/redis-7.2.6.tar.gz
fi
if [ -d "$source" ]; then tree=$source; else tar xzf "$source" -C "$work" && tree=$(ls -d "$work"/redis-*/ | head -1); fi
[ -f "$tree/tests/test_helper.tcl" ] || { echo "no tests/test_helper.tcl under $tree" >&2; exit 2; }

dev_pid=
stop_dev() {
  if [ -n "$dev_pid" ]; then
    kill -INT "$dev_pid" 2>/dev/null || true
    wait "$dev_pid" 2>/dev/null || true
    dev_pid=
  fi
}
trap stop_dev EXIT

total_ok=0
total_err=0
printf '%-28s %6s %6s  %s\n' unit passed failed note
for unit in "${units[@]}"; do
  name=${unit//\//_}
  port=
  if [ "${SUITE_TARGET:-slotgate}" = direct ]; then
    free=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
    redis-server --port "$free" --bind 127.0.0.1 --save '' --appendonly no --enable-debug-command yes >"$logs/$name.dev.log" 2>&1 &
    dev_pid=$!
    for _ in $(seq 1 50); do redis-cli -p "$free" ping >/dev/null 2>&1 && port=$free && break; sleep 0.2; done
  else
    # A fresh cluster and slotgate per unit: one unit's leftovers (config, keys, scripts) never reach the next.
    node --import tsx scripts/dev/run-local.ts --port 0 --admin-port 0 --log-level warn >"$logs/$name.dev.log" 2>&1 &
    dev_pid=$!
  fi
  for _ in $(seq 1 120); do
    [ -n "$port" ] && break
    port=$(sed -n 's/^slotgate listens on [^ ]*:\([0-9]*\)\..*/\1/p' "$logs/$name.dev.log" | head -1)
    [ -n "$port" ] && break
    kill -0 "$dev_pid" 2>/dev/null || break
    sleep 1
  done
  if [ -z "$port" ]; then
    echo "$unit: slotgate did not start (see $logs/$name.dev.log)" >&2
    stop_dev
    continue
  fi
  (cd "$tree" && timeout "${SUITE_TIMEOUT:-900}" tclsh tests/test_helper.tcl --host 127.0.0.1 --port "$port" --singledb --cluster-mode \
    --tags "${SUITE_TAGS:--needs:debug -needs:pfdebug -needs:latency -needs:save -needs:repl -needs:local-process}" \
    --single "$unit" --clients 1 --timeout 120 >"$logs/$name.log" 2>&1) || true
  stop_dev
  clean=$(sed 's/\x1b\[[0-9;]*m//g' "$logs/$name.log")
  ok=$(grep -c '^\[ok\]' <<<"$clean" || true)
  err=$(grep -c '^\[err\]' <<<"$clean" || true)
  note=$(grep -m1 -E '^\[exception\]|^\[TIMEOUT\]' <<<"$clean" | cut -c1-100 || true)
  printf '%-28s %6s %6s  %s\n' "$unit" "$ok" "$err" "$note"
  total_ok=$((total_ok + ok))
  total_err=$((total_err + err))
done
printf '%-28s %6s %6s\n' total "$total_ok" "$total_err"
echo "logs: $logs"
