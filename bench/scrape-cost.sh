#!/usr/bin/env bash
# The cost of scraping machat -metrics under load A (README, "Metrics in
# shared memory"): three pairs of loadgen runs, alternating without and with
# a scraper at a fixed 10 Hz, then 1000 back-to-back scrapes of an idle node
# for the supervisor's CPU per scrape.
#   bench/scrape-cost.sh [BIN_DIR]   (default .build/release; build with swift build -c release)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release}
LOADGEN=${LOADGEN:-/tmp/loadgen}
[ -x "$LOADGEN" ] || LOADGEN_OUT=$LOADGEN bash ../shared/loadgen/build.sh
OUT=$(mktemp -d /tmp/machat-scrape-cost-XXXXXX)
"$BIN/machat" -tcp 127.0.0.1:0 -ws 127.0.0.1:0 -metrics 127.0.0.1:0 -runtime-dir "$OUT/rt" -data-dir none 2>"$OUT/server.log" &
M=$!
trap 'kill -TERM $M; wait $M || true; rm -rf "$OUT"' EXIT
for _ in $(seq 1 200); do grep -q 'gateway=ws-' "$OUT/server.log" && break; sleep 0.05; done
TCP=$(sed -n 's/.*msg="tcp listening" addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$OUT/server.log")
MP=$(sed -n 's/.*msg="metrics listening" addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$OUT/server.log")
cat >"$OUT/scrape.py" <<'PY'
# scrape.py PORT SECONDS [COUNT]: at 10 Hz for SECONDS (or COUNT back to back),
# printing each exchange's seconds (connect to close).
import socket, sys, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
count = int(sys.argv[3]) if len(sys.argv) > 3 else None
start = time.monotonic(); n = 0
while (count is None and time.monotonic() - start < seconds) or (count is not None and n < count):
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    got = b""
    while True:
        b = s.recv(65536)
        if not b: break
        got += b
    s.close()
    assert got.startswith(b"HTTP/1.1 200"), got[:80]
    print("%.6f" % (time.monotonic() - t0), flush=True)
    n += 1
    if count is None: time.sleep(max(0, start + n * 0.1 - time.monotonic()))
PY
cpu() { curl -s "http://127.0.0.1:$MP/metrics" | sed -n 's/^process_cpu_seconds_total{process="machat"} //p'; }
for run in 1 2 3; do
  for variant in plain scraped; do
    SC=""
    if [ $variant = scraped ]; then python3 "$OUT/scrape.py" "$MP" 13 >"$OUT/scrape-$run.txt" & SC=$!; fi
    "$LOADGEN" -proto tcp -rooms 10 -clients 10 -window 8 -size 32 -duration 10s -addr "127.0.0.1:$TCP" -json >"$OUT/$variant-$run.json"
    [ -n "$SC" ] && wait $SC
    python3 -c "import json;d=json.load(open('$OUT/$variant-$run.json'));print('$variant run $run: %s deliveries/s, lost %s'%(d['delivered_per_s'],d['lost']))"
    if [ $variant = scraped ]; then
      sort -n "$OUT/scrape-$run.txt" | awk '{a[NR]=$1} END {printf "  %d scrapes: median %.2f ms, p90 %.2f ms, max %.2f ms\n", NR, a[int(NR/2)+1]*1000, a[int(NR*0.9)]*1000, a[NR]*1000}'
    fi
  done
done
c0=$(cpu); t0=$(date +%s.%N)
python3 "$OUT/scrape.py" "$MP" 0 1000 >/dev/null
t1=$(date +%s.%N); c1=$(cpu)
python3 -c "print('1000 scrapes of an idle node: %.3f s wall, %.2f s of machat CPU (%.2f ms per scrape)'%($t1-$t0, $c1-$c0, ($c1-$c0)))"
