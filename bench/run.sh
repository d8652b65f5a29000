#!/usr/bin/env bash
# MaChat vs NATS, one sitting, same machine, same loadgen flags.
#
#   bench/run.sh            loads A-D against MaChat and NATS, then the ratio table
#   bench/run.sh --with-e   also load E: 100,000 joined connections over 7 gateways
#
# Builds MaChat (release), the load generator of record (../shared/loadgen) and
# installs nats-server from Debian if missing. Everything runs on 127.0.0.1.
# DURATION (default 10s) sets each load's measurement time.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SHARED=${MACHAT_SHARED:-$ROOT/../shared}
DURATION=${DURATION:-10s}
OUT=${BENCH_OUT:-$(mktemp -d /tmp/machat-bench-XXXXXX)}
mkdir -p "$OUT"
LOADGEN=${LOADGEN:-/tmp/loadgen}
WITH_E=0
[ "${1:-}" = "--with-e" ] && WITH_E=1
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH

echo "== build" >&2
# MACHAT_BIN: use already built binaries instead of building here.
if [ -z "${MACHAT_BIN:-}" ]; then swift build -c release >&2; fi
BIN=${MACHAT_BIN:-$(swift build -c release --show-bin-path)}
[ -x "$LOADGEN" ] || LOADGEN_OUT="$LOADGEN" bash "$SHARED/loadgen/build.sh" >&2
if ! command -v nats-server >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq nats-server) >&2
fi

# Loads from the performance issue; each line: name | loadgen flags.
LOADS=(
  "A-tcp|-proto tcp -rooms 10 -clients 10 -window 8 -size 32"
  "A-ws|-proto ws -rooms 10 -clients 10 -window 8 -size 32"
  "B-tcp|-proto tcp -rooms 1 -clients 500 -senders 5 -window 8"
  "B-ws|-proto ws -rooms 1 -clients 500 -senders 5 -window 8"
  "C-tcp|-proto tcp -mode latency -rooms 100 -clients 10 -rate 10"
  "C-ws|-proto ws -mode latency -rooms 100 -clients 10 -rate 10"
  "D-tcp|-proto tcp -mode idle -rooms 1000 -clients 10 -srcips 4"
  "D-ws|-proto ws -mode idle -rooms 1000 -clients 10 -srcips 4"
)

. "$ROOT/bench/lib.sh"

run_load() {  # server name flags...
  local server=$1 name=$2; shift 2
  # Tail latency on a 2-core machine shared with the load generator is noisy:
  # latency loads run three times and the table takes the median.
  local runs=1
  case $name in C*) runs=3 ;; esac
  for _ in $(seq 1 $runs); do
    echo "-- $server $name: loadgen $* -duration $DURATION" >&2
    "$LOADGEN" "$@" -duration "$DURATION" -json 2>>"$OUT/loadgen.err" \
      | python3 -c 'import json,sys; d=json.load(sys.stdin); d["server"]=sys.argv[1]; d["load"]=sys.argv[2]; print(json.dumps(d))' "$server" "$name" \
      >>"$OUT/results.jsonl"
  done
}

: >"$OUT/results.jsonl"
echo "== MaChat" >&2
start_machat
for entry in "${LOADS[@]}"; do
  name=${entry%%|*}; flags=${entry#*|}
  # Memory per connection is measured on a fresh server: one that has run
  # the throughput loads keeps its grown heap, which would hide the cost.
  case $name in D-*) stop_machat; start_machat ;; esac
  case $flags in *"-proto ws"*) addr=127.0.0.1:$WS_PORT ;; *) addr=127.0.0.1:$TCP_PORT ;; esac
  # shellcheck disable=SC2086
  run_load machat "$name" $flags -addr "$addr" -pids "$PIDS"
done
stop_machat

start_nats() {  # sets NATS_PID NATS_PORT
  : >"$OUT/nats.log"
  nats-server -a 127.0.0.1 -p -1 -l "$OUT/nats.log" &
  NATS_PID=$!
  NATS_PORT=""
  for _ in $(seq 1 200); do
    NATS_PORT=$(sed -n 's/.*Listening for client connections on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$OUT/nats.log" | head -1)
    [ -n "$NATS_PORT" ] && break
    sleep 0.05
  done
}
stop_nats() { kill -TERM "$NATS_PID"; wait "$NATS_PID" 2>/dev/null || true; }

echo "== NATS" >&2
start_nats
for entry in "${LOADS[@]}"; do
  name=${entry%%|*}; flags=${entry#*|}
  case $name in *-ws) continue ;; esac  # NATS has one protocol: compare against its TCP numbers
  case $name in D-*) stop_nats; start_nats ;; esac
  flags=${flags/-proto tcp/-proto nats}
  # shellcheck disable=SC2086
  run_load nats "${name%-tcp}" $flags -addr "127.0.0.1:$NATS_PORT" -pids "$NATS_PID"
done
stop_nats

if [ "$WITH_E" = 1 ]; then
  echo "== MaChat load E: 100,000 connections, 7 TCP gateways, 7 loadgen processes" >&2
  EXPECT_GATEWAYS=7 start_machat -tcp-gateways 7 -ws-gateways 0
  for k in 0 1 2 3 4 5 6; do
    "$LOADGEN" -proto tcp -addr "127.0.0.1:$TCP_PORT" -mode idle -rooms 1430 -clients 10 -room-offset $((k * 1430)) \
      -srcips 8 -duration 30s -connect-timeout 90s -json -pids "$PIDS" 2>>"$OUT/loadgen.err" \
      | python3 -c 'import json,sys; d=json.load(sys.stdin); d["server"]="machat"; d["load"]="E-part"; print(json.dumps(d))' \
      >>"$OUT/results.jsonl" &
  done
  # Sample while all are connected: joined members according to the gateways' fds and total RSS.
  sleep 20
  python3 - "$PIDS" >>"$OUT/results.jsonl" <<'PY'
import json, os, sys
pids = [int(p) for p in sys.argv[1].split(",") if p]
rss = sum(int(l.split()[1]) * 1024 for p in pids for l in open(f"/proc/{p}/status") if l.startswith("VmRSS:"))
sockets = sum(1 for p in pids for f in os.listdir(f"/proc/{p}/fd") if os.readlink(f"/proc/{p}/fd/{f}").startswith("socket:"))
print(json.dumps({"server": "machat", "load": "E", "sockets": sockets, "rss_total_bytes": rss, "processes": len(pids)}))
PY
  wait $(jobs -p | grep -v "^$MACHAT_PID$") 2>/dev/null || true
  stop_machat
fi

echo "== machine" >&2
{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/{print $2}') GiB, Linux $(uname -r)"
  echo "swift: $(swift --version 2>&1 | head -1)"
  echo "nats-server: $(nats-server --version 2>&1 | head -1)"
  echo "duration per load: $DURATION"
} | tee "$OUT/machine.txt"
python3 "$ROOT/bench/table.py" "$OUT/results.jsonl"
echo "(raw results: $OUT)" >&2
