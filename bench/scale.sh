#!/usr/bin/env bash
# How MaChat's throughput and memory grow with rooms, members and gateway
# processes (README "Scale"). Uses the loadgen of record; 127.0.0.1 only.
#   bench/scale.sh   (DURATION=5s by default per point)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SHARED=${MACHAT_SHARED:-$ROOT/../shared}
DURATION=${DURATION:-5s}
LOADGEN=${LOADGEN:-/tmp/loadgen}
OUT=$(mktemp -d /tmp/machat-scale-XXXXXX)
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
# MACHAT_BIN: use already built binaries instead of building here.
if [ -z "${MACHAT_BIN:-}" ]; then swift build -c release >&2; fi
BIN=${MACHAT_BIN:-$(swift build -c release --show-bin-path)}
[ -x "$LOADGEN" ] || LOADGEN_OUT="$LOADGEN" bash "$SHARED/loadgen/build.sh" >&2

start() {  # gateways
  "$BIN/machat" -tcp 127.0.0.1:0 -ws-gateways 0 -tcp-gateways "$1" -data-dir none 2>"$OUT/machat.log" &
  PID=$!
  for _ in $(seq 1 400); do
    PORT=$(sed -n 's/.*msg="tcp listening" addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$OUT/machat.log" | head -1)
    [ -n "$PORT" ] && [ "$(grep -c 'msg="gateway ready"' "$OUT/machat.log" || true)" -ge "$1" ] && break
    sleep 0.05
  done
  PIDS=$(echo "$PID $(pgrep -P "$PID" | tr '\n' ' ')" | tr -s ' ' ',' | sed 's/,$//')
}
stop() { kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; }
point() {  # label flags...
  local label=$1; shift
  "$LOADGEN" -proto tcp -addr "127.0.0.1:$PORT" -pids "$PIDS" -duration "$DURATION" -json "$@" 2>/dev/null \
    | python3 "$ROOT/bench/point.py" "$label"
}

echo "| point | connections | deliveries/s | p99 ms | bytes/conn (delta) | server RSS MiB | server CPU % | integrity |"
echo "|---|---|---|---|---|---|---|---|"
start 1
for rooms in 1 10 100; do point "rooms=$rooms x 10 members (1 gateway)" -rooms "$rooms" -clients 10 -window 8 -size 32; done
for members in 10 100 1000; do point "1 room x $members members, 5 senders" -rooms 1 -clients "$members" -senders 5 -window 8 -size 32; done
stop
# Memory per connection on a fresh server each time (a used one keeps its heap).
for conns in 1000 5000 15000; do
  start 1
  point "idle $conns connections" -mode idle -rooms $((conns / 10)) -clients 10 -srcips 4
  stop
done
for gateways in 1 2 4; do
  start "$gateways"
  point "load A, $gateways TCP gateway(s)" -rooms 10 -clients 10 -window 8 -size 32
  point "1000 rooms x 10, $gateways TCP gateway(s)" -rooms 1000 -clients 10 -window 2 -size 32 -srcips 4
  stop
done
