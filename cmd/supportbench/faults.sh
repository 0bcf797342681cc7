#!/usr/bin/env bash
# The fault runs of BENCHMARKS.md ("faults"): two supportd instances on one fresh
# database and Redis; instance A reaches PostgreSQL (or Redis) through a
# `supportbench proxy` whose link is broken on purpose, B directly. A fanout run with
# sockets on both instances writes through B while the link of A is black-holed, reset,
# or (redis-start) Redis is unreachable when A starts; a prober reads and writes on A
# every 200 ms. Reported per case: the prober's answers by status and its slowest 503,
# each instance's deliveries during the fault, and the fanout ledger.
#
#   bash cmd/supportbench/faults.sh                       # every case
#   bash cmd/supportbench/faults.sh blackhole redis-start # some of them
# Never touches the machine's PostgreSQL or Redis beyond a database and key prefix of
# its own.
set -euo pipefail
cd "$(dirname "$0")/../.."

SECRET=supportbench-secret-0123456789abcdef
OUT=${OUT:-${TMPDIR:-/tmp}/supportbench-faults}
DB_TIMEOUT=${DB_TIMEOUT:-2s}
BIN=$(mktemp -d)
mkdir -p "$OUT"
go build -o "$BIN/supportd" ./cmd/supportd
(cd cmd/supportbench && go build -o "$BIN/supportbench" .)
ulimit -n 20000
PIDS=""
trap 'kill $PIDS 2>/dev/null || true; rm -rf "$BIN"' EXIT

# proxy NAME TARGET MODE: starts a proxy; sets NAME_ADDR and NAME_CTL.
proxy() {
  local name=$1 log="$OUT/proxy-$1.log"
  "$BIN/supportbench" proxy -target "$2" -mode "$3" -max-time 30m >"$log" 2>&1 &
  PIDS="$PIDS $!"
  for _ in $(seq 1 50); do grep -q '^proxy ' "$log" 2>/dev/null && break; sleep 0.1; done
  read -r _ addr _ ctl <"$log"
  printf -v "${name}_ADDR" %s "$addr"
  printf -v "${name}_CTL" %s "http://$ctl"
}

# instance N PORT DBHOSTPORT REDISHOSTPORT: starts supportd; its URL is http://127.0.0.1:PORT.
instance() {
  DATABASE_URL="postgres://postgres@$3/$DB?sslmode=disable" REDIS_URL="redis://$4/0" \
    REDIS_PREFIX="faults-$DB:" JWT_SECRET=$SECRET DB_TIMEOUT=$DB_TIMEOUT RATE_LIMIT=0 \
    LOG_LEVEL=warn ADDR=127.0.0.1:$2 "$BIN/supportd" serve >"$OUT/$CASE-server$1.log" 2>&1 &
  PIDS="$PIDS $!"
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$2/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "instance $1 did not start (see $OUT/$CASE-server$1.log)" >&2
  return 1
}

# probe URL: reads and creates on URL every 200 ms until $OUT/stop-probe exists.
probe() {
  local tok; tok=$(JWT_SECRET=$SECRET "$BIN/supportd" token --role client --name "fault prober")
  rm -f "$OUT/stop-probe"
  while [ ! -f "$OUT/stop-probe" ]; do
    curl -s -o /dev/null -m 30 -w "GET %{http_code} %{time_total}\n" -H "Authorization: Bearer $tok" \
      "$1/support-tickets?limit=1" || echo "GET 000 30"
    curl -s -o /dev/null -m 30 -w "POST %{http_code} %{time_total}\n" -H "Authorization: Bearer $tok" \
      -d '{"title":"probe","category":"other","threads":[{"message":"probe"}]}' \
      "$1/support-tickets/insert" || echo "POST 000 30"
    sleep 0.2
  done
}

summary() { # the prober's answers by code, and the slowest answer of each code
  awk '{n[$2]++; if ($3 > m[$2]) m[$2] = $3} END {for (c in n) printf "   prober %s: %d answers, slowest %.2f s\n", c, n[c], m[c]}' "$1"
}

# run CASE FAULTS WINDOW [A's REDIS]: one case.
run() {
  CASE=$1
  DB=bench_faults_$$_${CASE//-/_}
  PGOPTIONS='-c client_min_messages=warning' psql -q -h 127.0.0.1 -U postgres -c "drop database if exists $DB" -c "create database $DB"
  proxy PG 127.0.0.1:5432 pass
  proxy RD 127.0.0.1:6379 "$4"
  instance 1 18281 127.0.0.1:5432 127.0.0.1:6379      # B: direct
  instance 2 18282 "$PG_ADDR" "$RD_ADDR"              # A: through the proxies
  local A=http://127.0.0.1:18282 B=http://127.0.0.1:18281
  echo "== $CASE: A's readyz at start: $(curl -s $A/readyz)"
  probe "$A" >"$OUT/$CASE-probe.txt" 2>/dev/null &
  local prober=$!
  local faults=${2//PG/$PG_CTL}; faults=${faults//RD/$RD_CTL}
  JWT_SECRET=$SECRET "$BIN/supportbench" fanout -url "$B,$A" -procs 1 -clients 200 -admins 4 -rate 30 \
    -duration 40s -window "$3" -fault "$faults" >"$OUT/$CASE.txt" 2>&1 && rc=0 || rc=$?
  touch "$OUT/stop-probe"; wait "$prober" 2>/dev/null || true
  echo "   fanout exit $rc (0: ledger clean), report in $OUT/$CASE.txt"
  grep -E "instance [12]|ledger|missing" "$OUT/$CASE.txt" | sed 's/^/   /' || true
  summary "$OUT/$CASE-probe.txt"
  kill $PIDS 2>/dev/null || true; wait $PIDS 2>/dev/null || true; PIDS=""
  PGOPTIONS='-c client_min_messages=warning' psql -q -h 127.0.0.1 -U postgres -c "drop database if exists $DB"
}

cases=${*:-blackhole reset redis-start}
for c in $cases; do
  case $c in
    blackhole)   run blackhole "10s=PG/blackhole,30s=PG/pass" 10s-30s pass ;;
    reset)       run reset "10s=PG/reset,20s=PG/pass" 10s-20s pass ;;
    redis-start) run redis-start "15s=RD/pass" 0s-15s reset ;;
    *) echo "unknown case $c (blackhole, reset, redis-start)" >&2; exit 2 ;;
  esac
done
