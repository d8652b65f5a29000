#!/usr/bin/env bash
# The cost of rooms that remember, one sitting, same machine:
#   1. loads A and C (loadgen of record) with history on (the default,
#      -history-size 1000) against -history-size 0, alternating;
#   2. memory per stored line: 1000 rooms x 1000 lines of 64 bytes, router
#      RSS with history on minus the same load with history off;
#   3. machat-bench load A with text members against JSON members.
# DURATION (default 10s) sets each load's measurement time, ROUNDS (default 3)
# the pairs per load; LOADS (e.g. C-tcp,C-ws) runs only those loads of part 1.
# Output: tables.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_setup history
ROUNDS=${ROUNDS:-3}

: >"$OUT/results.jsonl"
echo "== loads A and C, history on and off, $ROUNDS rounds" >&2
# Each load runs with both settings back to back (a pair; the first of the
# pair alternates by round), so the machine's drift over the sitting falls
# between pairs rather than inside them.
for round in $(seq 1 "$ROUNDS"); do
  order="off on"; [ $((round % 2)) = 0 ] && order="on off"
  for entry in "${LOADS_AC[@]}"; do
    name=${entry%%|*}; flags=${entry#*|}
    wanted "$name" || continue
    for setting in $order; do
      extra=(); [ "$setting" = off ] && extra=(-history-size 0)
      start_machat "${extra[@]}"
      case $flags in *"-proto ws"*) addr=127.0.0.1:$WS_PORT ;; *) addr=127.0.0.1:$TCP_PORT ;; esac
      # shellcheck disable=SC2086
      loadgen_json "history-$setting" "$name" $flags -addr "$addr" -pids "$PIDS" -duration "$DURATION"
      stop_machat
    done
  done
done

if [ -n "${LOADS:-}" ]; then  # only the loads asked for
  python3 "$ROOT/bench/history_table.py" "$OUT/results.jsonl"
  echo "(raw results: $OUT)" >&2
  exit 0
fi

echo "== memory per stored line: 1000 rooms x 1000 lines of 64 bytes" >&2
for setting in off on; do
  extra=(); [ "$setting" = off ] && extra=(-history-size 0)
  start_machat "${extra[@]}"
  router=$(pgrep -P "$MACHAT_PID" -f machat-router)
  # One member per room sends >1000 lines of 64 bytes (closed loop, window 8).
  loadgen_json "history-$setting" "M" -proto tcp -rooms 1000 -clients 1 -window 8 -size 64 -duration 4s \
    -addr "127.0.0.1:$TCP_PORT" -pids "$router"
  python3 - "$router" "$setting" >>"$OUT/results.jsonl" <<'PY'
import json, sys
pid, setting = sys.argv[1], sys.argv[2]
rss = next(int(l.split()[1]) * 1024 for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))
print(json.dumps({"server": f"history-{setting}", "load": "M-rss", "router_rss_bytes": rss}))
PY
  stop_machat
done

echo "== machat-bench load A: text vs JSON members" >&2
for round in $(seq 1 "$ROUNDS"); do
  formats="text json"; [ $((round % 2)) = 0 ] && formats="json text"
  for mix in tcp ws; do
    for format in $formats; do
      start_machat
      "$BIN/machat-bench" -tcp "127.0.0.1:$TCP_PORT" -ws "127.0.0.1:$WS_PORT" -mix "$mix" -format "$format" \
        -rooms 10 -clients 10 -window 8 -size 32 -duration "${DURATION%s}" -machat-pid "$MACHAT_PID" -json \
        | python3 -c 'import json,sys; d=json.load(sys.stdin); d["server"]="bench-"+sys.argv[1]; d["load"]="A-"+sys.argv[2]; print(json.dumps(d))' "$format" "$mix" \
        >>"$OUT/results.jsonl"
      stop_machat
    done
  done
done
python3 "$ROOT/bench/history_table.py" "$OUT/results.jsonl"
echo "(raw results: $OUT)" >&2
