#!/usr/bin/env bash
# MaChat across nodes through Redis, one sitting, this machine:
#   1. loads A and C over 3 MaChat nodes + 1 Redis, against a 3-node NATS
#      cluster on loopback driven the same way (client i on node i mod 3);
#   2. the Redis ceiling: lines/s through one shard under load A, Redis CPU
#      per line, against redis-benchmark calling the same script; 1 vs 2 shards;
#   3. the cost of the engine: one node with -redis against the memory engine.
# CPU per process (routers, gateways, Redis, load generator) with every row.
# DURATION (default 10s) per load; part 1 alternates MaChat and NATS ROUNDS
# times (default 3), C RUNS_C times per round (default 1); medians.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_setup cluster
ROUNDS=${ROUNDS:-3}
RUNS_C=${RUNS_C:-1}
command -v nats-server >/dev/null || (apt-get update -qq && apt-get install -y -qq nats-server) >&2
command -v redis-server >/dev/null || (apt-get update -qq && apt-get install -y -qq redis-server) >&2
: >"$OUT/results.jsonl"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

REDIS_PIDS=()
start_redis() {  # sets REDIS_PORT; appends to REDIS_PIDS
  REDIS_PORT=$(free_port)
  local dir; dir=$(mktemp -d "$OUT/redis-XXXXXX")
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly yes --dir "$dir" --logfile "$dir/log" &
  REDIS_PIDS+=($!)
  for _ in $(seq 1 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
}
stop_redis() { for p in "${REDIS_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; REDIS_PIDS=(); }

NODE_PIDS=(); NODE_TCP=(); NODE_WS=()
start_node() {  # args...: one machat; appends to NODE_*
  local log="$OUT/node-${#NODE_PIDS[@]}.log"
  "$BIN/machat" -tcp 127.0.0.1:0 -ws 127.0.0.1:0 -data-dir none "$@" 2>"$log" &
  local pid=$! tcp="" ws=""
  for _ in $(seq 1 400); do
    tcp=$(sed -n 's/.*msg="tcp listening" addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
    ws=$(sed -n 's/.*msg="ws listening" addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
    [ -n "$tcp" ] && [ "$(grep -c 'msg="gateway ready"' "$log" || true)" -ge 2 ] && break
    sleep 0.05
  done
  NODE_PIDS+=("$pid"); NODE_TCP+=("127.0.0.1:$tcp"); NODE_WS+=("127.0.0.1:$ws")
}
stop_nodes() { for p in "${NODE_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; NODE_PIDS=(); NODE_TCP=(); NODE_WS=(); }

# Every process to account CPU to, as name=pid pairs.
processes() {
  local i=0
  for p in "${NODE_PIDS[@]}"; do
    for c in $(pgrep -P "$p"); do
      echo "node$i-$(tr '\0' ' ' </proc/$c/cmdline | awk '{print $1}' | xargs basename)=$c"
    done
    i=$((i + 1))
  done
  local k=0
  for p in "${REDIS_PIDS[@]}"; do echo "redis$k=$p"; k=$((k + 1)); done
  for p in ${NATS_PIDS[@]+"${NATS_PIDS[@]}"}; do echo "nats=$p"; done
}

run() {  # label load loadgen-flags...
  local label=$1 load=$2; shift 2
  local procs; procs=$(processes | tr '\n' ' ')
  echo "-- $label $load: loadgen $*" >&2
  # shellcheck disable=SC2086
  python3 "$ROOT/bench/cpu.py" $procs -- "$LOADGEN" "$@" -duration "$DURATION" -json \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); d["server"]=sys.argv[1]; d["load"]=sys.argv[2]; print(json.dumps(d))' "$label" "$load" \
    >>"$OUT/results.jsonl"
}

join() { local IFS=,; echo "$*"; }

# MaChat and NATS alternate, ROUNDS times (default 3): load A once per
# round each, load C RUNS_C times per round; medians in the table.
for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round: 3 MaChat nodes + 1 Redis" >&2
  start_redis
  for _ in 1 2 3; do start_node -redis "redis://127.0.0.1:$REDIS_PORT"; done
  run machat-cluster A-tcp -proto tcp -rooms 10 -clients 10 -window 8 -size 32 -addr "$(join "${NODE_TCP[@]}")"
  run machat-cluster A-ws -proto ws -rooms 10 -clients 10 -window 8 -size 32 -addr "$(join "${NODE_WS[@]}")"
  for _ in $(seq 1 "$RUNS_C"); do
    run machat-cluster C-tcp -proto tcp -mode latency -rooms 100 -clients 10 -rate 10 -addr "$(join "${NODE_TCP[@]}")"
  done
  stop_nodes; stop_redis

  echo "== round $round: 3-node NATS cluster" >&2
  NATS_PIDS=(); NATS_ADDRS=()
  ports=(); routes=()
  for i in 1 2 3; do ports+=("$(free_port) $(free_port)"); done
  for entry in "${ports[@]}"; do set -- $entry; routes+=("nats://127.0.0.1:$2"); done
  for entry in "${ports[@]}"; do
    set -- $entry
    nats-server -a 127.0.0.1 -p "$1" -cluster "nats://127.0.0.1:$2" -routes "$(join "${routes[@]}")" -l "$OUT/nats-$1.log" &
    NATS_PIDS+=($!); NATS_ADDRS+=("127.0.0.1:$1")
  done
  sleep 2
  run nats-cluster A -proto nats -rooms 10 -clients 10 -window 8 -size 32 -addr "$(join "${NATS_ADDRS[@]}")"
  for _ in $(seq 1 "$RUNS_C"); do
    run nats-cluster C -proto nats -mode latency -rooms 100 -clients 10 -rate 10 -addr "$(join "${NATS_ADDRS[@]}")"
  done
  for p in "${NATS_PIDS[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
  NATS_PIDS=()
done

echo "== Redis ceiling: one node, 1 and 2 shards" >&2
start_redis
start_node -redis "redis://127.0.0.1:$REDIS_PORT"
run redis-1shard A-tcp -proto tcp -rooms 10 -clients 10 -window 8 -size 32 -addr "${NODE_TCP[0]}"
# The same script, called by redis-benchmark: one member, ten 32-byte lines per call.
SHA=$(redis-cli -p "$REDIS_PORT" SCRIPT LOAD "$(python3 "$ROOT/bench/turn_script.py")")
OWNER="bench/1/1/1"
redis-cli -p "$REDIS_PORT" EVALSHA "$SHA" 0 machat: 10000 86400000 3600000 benchepoch J benchroom bench "$OWNER" 0 0 >/dev/null
# (The first line names the member, the rest continue it, as the router
# writes a run of one member's lines.)
ARGS=(S benchroom bench "$OWNER" ffff 0 "M5 32 bench$(printf '%032d' 1)")
for k in $(seq 2 10); do ARGS+=(T 0 "M5 32 bench$(printf '%032d' "$k")"); done
redis-benchmark -p "$REDIS_PORT" -n 50000 -c 4 -P 4 -q --csv EVALSHA "$SHA" 0 machat: 10000 86400000 3600000 benchepoch "${ARGS[@]}" \
  | python3 -c 'import csv,json,sys; rows=list(csv.reader(sys.stdin)); r=rows[-1]; print(json.dumps({"server":"redis-benchmark","load":"script","calls_per_s":float(r[1]),"lines_per_call":10}))' \
  >>"$OUT/results.jsonl"
stop_nodes; stop_redis
start_redis; first=$REDIS_PORT; start_redis; second=$REDIS_PORT
start_node -redis "redis://127.0.0.1:$first,redis://127.0.0.1:$second"
run redis-2shards A-tcp -proto tcp -rooms 10 -clients 10 -window 8 -size 32 -addr "${NODE_TCP[0]}"
stop_nodes; stop_redis

echo "== cost of the engine: one node, memory engine against -redis" >&2
start_node
run memory-1node A-tcp -proto tcp -rooms 10 -clients 10 -window 8 -size 32 -addr "${NODE_TCP[0]}"
for _ in $(seq 1 "$ROUNDS"); do run memory-1node C-tcp -proto tcp -mode latency -rooms 100 -clients 10 -rate 10 -addr "${NODE_TCP[0]}"; done
stop_nodes
start_redis
start_node -redis "redis://127.0.0.1:$REDIS_PORT"
run redis-1node A-tcp -proto tcp -rooms 10 -clients 10 -window 8 -size 32 -addr "${NODE_TCP[0]}"
for _ in $(seq 1 "$ROUNDS"); do run redis-1node C-tcp -proto tcp -mode latency -rooms 100 -clients 10 -rate 10 -addr "${NODE_TCP[0]}"; done
stop_nodes; stop_redis

python3 "$ROOT/bench/cluster_table.py" "$OUT/results.jsonl"
echo "(raw results: $OUT)" >&2
