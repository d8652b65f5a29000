#!/usr/bin/env bash
# The cost of history on disk (issue 12), one sitting, same machine:
#   1. loads A and C (loadgen of record) with the SQLite store (a fresh
#      -data-dir each run) against -data-dir none, alternating; the store's
#      CPU, rows written per second and bytes on disk per line during load A;
#   2. start-up: a data directory holding 1000 rooms x 1000 lines of 64
#      bytes, and how long the router takes to load it when machat starts.
# DURATION (default 10s) sets each load's measurement time, ROUNDS (default 3)
# the pairs per load A, ROUNDS_C (default 9) the pairs per load C, LOADS (e.g.
# C-tcp,C-ws) runs only those loads of part 1. Load C gets more pairs: on a
# small shared machine one run's p99 moves by half or double from one minute
# to the next (with and without the store alike), so the median of three
# pairs says little about a difference of a tenth.
# Output: tables (bench/store_table.py).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_setup store
ROUNDS=${ROUNDS:-3}
ROUNDS_C=${ROUNDS_C:-9}
trap 'stop_machat 2>/dev/null || true' EXIT

# Rows and bytes of a data directory, as JSON fields (Python's sqlite3, read-only).
database_facts() {  # dir
  python3 - "$1" <<'PY'
import json, os, sqlite3, sys
d = sys.argv[1]
c = sqlite3.connect(f"file:{os.path.join(d, 'history.sqlite3')}?mode=ro", uri=True, timeout=10)
kept, chunks, blob = c.execute("SELECT coalesce(sum(line_count), 0), count(*), coalesce(sum(length(lines)), 0) FROM chunks").fetchone()
# Lines not folded yet are in the journal (schema 3): kept too.
jkept, journal, jblob = c.execute("SELECT coalesce(sum(line_count), 0), count(*), coalesce(sum(length(lines)), 0) FROM journal").fetchone()
kept, blob = kept + jkept, blob + jblob
written = c.execute("SELECT coalesce(sum(last_offset), 0) FROM rooms").fetchone()[0]
payload = blob - 22 * kept  # names and texts: each line's fixed part is 22 bytes (LineChunk)
page = c.execute("PRAGMA page_size").fetchone()[0]
used = (c.execute("PRAGMA page_count").fetchone()[0] - c.execute("PRAGMA freelist_count").fetchone()[0]) * page
c.close()
size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d) if f.startswith("history.sqlite3"))
print(json.dumps({"rows": kept, "chunks": chunks, "journal_rows": journal, "journal_lines": jkept, "written": written, "payload_bytes": payload, "disk_bytes": size, "used_bytes": used}))
PY
}

: >"$OUT/results.jsonl"
echo "== loads A and C, store on and off, $ROUNDS rounds of A, $ROUNDS_C of C" >&2
run=0
# Each load runs with both settings back to back (a pair; the first of the
# pair alternates by round), so the machine's drift over the sitting falls
# between pairs rather than inside them.
for round in $(seq 1 "$((ROUNDS > ROUNDS_C ? ROUNDS : ROUNDS_C))"); do
  order="none store"; [ $((round % 2)) = 0 ] && order="store none"
  for entry in "${LOADS_AC[@]}"; do
    name=${entry%%|*}; flags=${entry#*|}
    wanted "$name" || continue
    case $name in C-*) [ "$round" -le "$ROUNDS_C" ] || continue ;; *) [ "$round" -le "$ROUNDS" ] || continue ;; esac
    for setting in $order; do
      run=$((run + 1))
      data="$OUT/data-$run"
      if [ "$setting" = store ]; then start_machat -data-dir "$data"; else start_machat; fi
      case $flags in *"-proto ws"*) addr=127.0.0.1:$WS_PORT ;; *) addr=127.0.0.1:$TCP_PORT ;; esac
      store_pid=$(pgrep -P "$MACHAT_PID" -f machat-store || echo "$MACHAT_PID")
      echo "-- $setting $name" >&2
      # shellcheck disable=SC2086
      python3 "$ROOT/bench/cpu.py" store="$store_pid" -- \
        "$LOADGEN" $flags -addr "$addr" -pids "$PIDS" -duration "$DURATION" -json 2>>"$OUT/loadgen.err" \
        | python3 -c 'import json,sys; d=json.load(sys.stdin); d["server"]=sys.argv[1]; d["load"]=sys.argv[2]; print(json.dumps(d))' "$setting" "$name" \
        >"$OUT/last.json"
      stop_machat
      if [ "$setting" = store ]; then
        database_facts "$data" | python3 -c 'import json,sys; f=json.load(sys.stdin); d=json.load(open(sys.argv[1])); d.update(f); print(json.dumps(d))' "$OUT/last.json" >>"$OUT/results.jsonl"
        rm -rf "$data"
      else
        cat "$OUT/last.json" >>"$OUT/results.jsonl"
      fi
    done
  done
done

if [ -n "${LOADS:-}" ]; then  # only the loads asked for
  python3 "$ROOT/bench/store_table.py" "$OUT/results.jsonl"
  echo "(raw results: $OUT)" >&2
  exit 0
fi

echo "== start-up with 1000 rooms x 1000 lines of 64 bytes" >&2
data="$OUT/data-load"
start_machat -data-dir "$data"
# One member per room sends more than 1000 lines of 64 bytes (closed loop).
"$LOADGEN" -proto tcp -rooms 1000 -clients 1 -window 8 -size 64 -duration 6s -addr "127.0.0.1:$TCP_PORT" -json \
  2>>"$OUT/loadgen.err" >"$OUT/fill.json"
stop_machat
database_facts "$data" >"$OUT/fill-facts.json"
for attempt in 1 2 3; do
  started=$(date +%s.%N)
  start_machat -data-dir "$data"
  ready=$(date +%s.%N)
  python3 - "$OUT/machat.log" "$started" "$ready" "$attempt" <<'PY' >>"$OUT/results.jsonl"
import json, re, sys
log, started, ready, attempt = open(sys.argv[1]).read(), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
m = re.search(r'msg="history loaded from the store" rooms=(\d+) lines=(\d+) gateways=\d+ ms=(\d+)', log)
print(json.dumps({"server": "store", "load": "startup", "attempt": attempt, "rooms": int(m.group(1)), "lines": int(m.group(2)),
                  "load_ms": int(m.group(3)), "ready_s": round(ready - started, 2)}))
PY
  stop_machat
done
python3 "$ROOT/bench/store_table.py" "$OUT/results.jsonl" "$OUT/fill-facts.json"
echo "(raw results: $OUT)" >&2
