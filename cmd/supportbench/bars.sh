#!/usr/bin/env bash
# Runs the bars of BENCHMARKS.md against local PostgreSQL (127.0.0.1:5432, user
# postgres, trust) and Redis (127.0.0.1:6379): for each bar a fresh database and
# freshly started supportd instances, the tool at -procs 1, then everything stopped
# and the database dropped. Reports go to $OUT (default /tmp/supportbench-results).
#
#   bash cmd/supportbench/bars.sh                      # every bar once
#   bash cmd/supportbench/bars.sh broadcast rest-write # some of them
#   SUPPORTD=/tmp/old/supportd bash cmd/supportbench/bars.sh agents1k # a prebuilt server
#
# SUPPORTD and SUPPORTBENCH name prebuilt binaries to run instead of building this
# tree's (to alternate an old and a new server on the same machine); PPROF_BASE=6060
# serves pprof on 127.0.0.1:6061, 6062… (instance 1, 2…); PORT_BASE=28180 moves the
# servers to 28181… (another bars.sh may be running on the same machine).
set -euo pipefail
cd "$(dirname "$0")/../.."

SECRET=supportbench-secret-0123456789abcdef
OUT=${OUT:-${TMPDIR:-/tmp}/supportbench-results}
BIN=$(mktemp -d)
trap 'rm -rf "$BIN"' EXIT
mkdir -p "$OUT"
if [ -n "${SUPPORTD:-}" ]; then cp "$SUPPORTD" "$BIN/supportd"; else go build -o "$BIN/supportd" ./cmd/supportd; fi
if [ -n "${SUPPORTBENCH:-}" ]; then cp "$SUPPORTBENCH" "$BIN/supportbench"; else (cd cmd/supportbench && go build -o "$BIN/supportbench" .); fi
ulimit -n 20000

# serve N: starts N instances on one fresh database; sets URLS and PIDS. They run
# with RATE_LIMIT=$LIMIT: 0 (off) unless a bar sets it; empty is the server's default.
serve() {
  DB=bench_bars_$$
  PGOPTIONS='-c client_min_messages=warning' psql -q -h 127.0.0.1 -U postgres -c "drop database if exists $DB" -c "create database $DB"
  URLS="" PIDS=""
  for i in $(seq 1 "$1"); do
    local port=$((${PORT_BASE:-18180} + i))
    PPROF_ADDR=${PPROF_BASE:+127.0.0.1:$((PPROF_BASE + i))} \
    DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable" \
      REDIS_URL=redis://127.0.0.1:6379/0 REDIS_PREFIX="bench-$DB:" JWT_SECRET=$SECRET \
      RATE_LIMIT=${LIMIT-0} LOG_LEVEL=warn ADDR=127.0.0.1:$port "$BIN/supportd" serve >"$OUT/server$i.log" 2>&1 &
    local pid=$!
    PIDS="$PIDS $pid"
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
    # A server that did not start (its port taken) must not leave the tool to another's.
    kill -0 "$pid" 2>/dev/null || { echo "supportd on port $port did not start: $OUT/server$i.log" >&2; exit 1; }
    URLS="$URLS${URLS:+,}http://127.0.0.1:$port"
  done
}

stop() {
  # shellcheck disable=SC2086
  kill $PIDS; wait $PIDS 2>/dev/null || true
  PGOPTIONS='-c client_min_messages=warning' psql -q -h 127.0.0.1 -U postgres -c "drop database if exists $DB"
}

# bar NAME INSTANCES SCENARIO FLAGS...: one run, its report in $OUT/NAME.txt.
bar() {
  local name=$1 n=$2; shift 2
  local sc=$1; shift
  serve "$n"
  echo "== $name: supportbench $sc -url $URLS -procs 1 $*"
  JWT_SECRET=$SECRET "$BIN/supportbench" "$sc" -url "$URLS" -procs 1 "$@" >"$OUT/$name.txt" 2>&1 && rc=0 || rc=$?
  stop
  echo "   exit $rc, report in $OUT/$name.txt"
}

# listeners: fanout on both instances next to two listen processes of the same run.
listeners() {
  serve 2
  local run=bars$$ u1=${URLS%,*} u2=${URLS#*,}
  echo "== listeners: fanout + listen + listen, -run $run"
  JWT_SECRET=$SECRET "$BIN/supportbench" listen -url "$u2" -run $run -clients 5000 -admins 100 -idle 10s -procs 1 >"$OUT/listeners-listen2.txt" 2>&1 &
  local on2=$!
  JWT_SECRET=$SECRET "$BIN/supportbench" listen -url "$u1" -run $run -clients 5000 -admins 0 -idle 10s -procs 1 >"$OUT/listeners-listen1.txt" 2>&1 &
  local on1=$!
  sleep 10
  JWT_SECRET=$SECRET "$BIN/supportbench" fanout -url "$URLS" -run $run -clients 5000 -admins 100 -rate 50 -duration 20s -procs 1 >"$OUT/listeners-fanout.txt" 2>&1 && rc=0 || rc=$?
  wait $on1 && r1=0 || r1=$?
  wait $on2 && r2=0 || r2=$?
  stop
  echo "   exit fanout $rc, listen on the first instance $r1, on the second $r2; reports in $OUT/listeners-*.txt"
}

run_bar() {
  case $1 in
    fanout)     bar fanout 1 fanout -clients 1000 -admins 10 -rate 200 -duration 20s ;;
    broadcast)  bar broadcast 1 broadcast -admins 10000 -events 20 -interval 1s -reader epoll ;;
    sockets)    bar sockets 1 sockets -clients 8000 -admins 2000 -hold 20s ;;
    rest-read)  bar rest-read 1 rest -mode read -concurrency 32 -duration 20s ;;
    rest-write) bar rest-write 1 rest -mode write -concurrency 32 -duration 20s ;;
    fanout5k)   bar fanout5k 1 fanout -clients 5000 -admins 100 -rate 50 -duration 20s ;;
    fanout5k-2) bar fanout5k-2 2 fanout -clients 5000 -admins 100 -rate 50 -duration 20s ;;
    storm)      bar storm 1 storm -clients 4500 -admins 500 -writes 200 ;;
    slow)       bar slow 1 slow -clients 980 -admins 20 -slow 1% -rate 50 -duration 20s
                bar slow-none 1 slow -clients 980 -admins 20 -slow 0 -rate 50 -duration 20s ;;
    listeners)  listeners ;;
    abuse)      LIMIT='' bar abuse 1 abuse -phase 10s ;;
    webhooks)   bar webhooks 1 webhooks -hooks 20 -rate 200 -duration 60s -down-at 10s -down-for 20s ;;
    # Realtime at full size (issue 13): every agent socket a distinct super admin.
    agents1k)      bar agents1k 1 fanout -clients 1 -admins 1000 -per-admin 1 -rate 20 -duration 10s ;;
    agents1k-idle) bar agents1k-idle 1 sockets -clients 0 -admins 1000 -per-admin 1 -hold 10s ;;
    agents5k)      bar agents5k 1 fanout -clients 1 -admins 5000 -per-admin 1 -rate 20 -duration 10s -connect-rate 5000 ;;
    presence5k)    bar presence5k 1 presence -agents 5000 -connect-rate 5000 ;;
    *) echo "unknown bar $1" >&2; return 2 ;;
  esac
}

bars=("$@")
[ ${#bars[@]} -gt 0 ] || bars=(fanout broadcast sockets rest-read rest-write fanout5k fanout5k-2 storm slow listeners abuse webhooks agents1k agents1k-idle agents5k presence5k)
for b in "${bars[@]}"; do run_bar "$b"; done
