# Shared by the bench scripts: their set-up, start/stop a machat on ephemeral
# loopback ports, and record loadgen runs. Source it from the repository root.

# Loads A and C of the loadgen of record: "name|flags", for the benches
# that alternate two settings (history, store).
LOADS_AC=(
  "A-tcp|-proto tcp -rooms 10 -clients 10 -window 8 -size 32"
  "A-ws|-proto ws -rooms 10 -clients 10 -window 8 -size 32"
  "C-tcp|-proto tcp -mode latency -rooms 100 -clients 10 -rate 10"
  "C-ws|-proto ws -mode latency -rooms 100 -clients 10 -rate 10"
)

wanted() {  # load-name: true if LOADS (comma-separated) is unset or names it
  [ -z "${LOADS:-}" ] || [[ ",$LOADS," == *",$1,"* ]]
}

bench_setup() {  # name; sets ROOT SHARED DURATION OUT LOADGEN BIN, builds what is missing
  ROOT=$(pwd)
  SHARED=${MACHAT_SHARED:-$ROOT/../shared}
  DURATION=${DURATION:-10s}
  OUT=${BENCH_OUT:-$(mktemp -d "/tmp/machat-$1-XXXXXX")}
  mkdir -p "$OUT"
  LOADGEN=${LOADGEN:-/tmp/loadgen}
  command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
  # MACHAT_BIN: use already built binaries instead of building here.
  if [ -z "${MACHAT_BIN:-}" ]; then swift build -c release >&2; fi
  BIN=${MACHAT_BIN:-$(swift build -c release --show-bin-path)}
  [ -x "$LOADGEN" ] || LOADGEN_OUT="$LOADGEN" bash "$SHARED/loadgen/build.sh" >&2
}

descendants() {  # pid and all its descendants, comma-separated
  local all=$1 frontier=$1 next p
  while [ -n "$frontier" ]; do
    next=""
    for p in $frontier; do
      for c in $(pgrep -P "$p" || true); do all="$all $c"; next="$next $c"; done
    done
    frontier=$next
  done
  echo "$all" | tr ' ' ','
}

start_machat() {  # args...; sets MACHAT_PID TCP_PORT WS_PORT PIDS
  local log="$OUT/machat.log"
  # Memory-only history unless the caller passes its own -data-dir (last one wins).
  "$BIN/machat" -tcp 127.0.0.1:0 -ws 127.0.0.1:0 -data-dir none "$@" 2>"$log" &
  MACHAT_PID=$!
  for _ in $(seq 1 400); do
    TCP_PORT=$(sed -n 's/.*msg="tcp listening" addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
    WS_PORT=$(sed -n 's/.*msg="ws listening" addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
    local ready; ready=$(grep -c 'msg="gateway ready"' "$log" || true)
    [ -n "$TCP_PORT" ] && [ "$ready" -ge "${EXPECT_GATEWAYS:-2}" ] && break
    sleep 0.05
  done
  PIDS=$(descendants "$MACHAT_PID")
}

stop_machat() {
  kill -TERM "$MACHAT_PID" 2>/dev/null || true
  wait "$MACHAT_PID" 2>/dev/null || true
}

loadgen_json() {  # server-label load-name loadgen-flags...; appends one JSON line to results
  local server=$1 name=$2; shift 2
  echo "-- $server $name: loadgen $*" >&2
  "$LOADGEN" "$@" -json 2>>"$OUT/loadgen.err" \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); d["server"]=sys.argv[1]; d["load"]=sys.argv[2]; print(json.dumps(d))' "$server" "$name" \
    >>"$OUT/results.jsonl"
}
