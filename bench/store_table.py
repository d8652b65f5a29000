#!/usr/bin/env python3
"""Tables for bench/store.sh from its results.jsonl (and the filled database's facts)."""
import json
import sys

import results

rows = results.read(sys.argv[1])
fill = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else None


def runs(server, load):
    return results.runs(rows, server, load)



results.comparison(rows, "none", "store", ('-data-dir none', 'SQLite store'), 0.75, 1.2)

print()
print("| during load | store CPU (% of a core) | lines written | lines/s written | lines kept | chunk rows kept | journal rows kept | lines per chunk row | bytes in use per kept line | payload per line |")
print("|---|---|---|---|---|---|---|---|---|")
for load in ["A-tcp", "A-ws", "C-tcp", "C-ws"]:
    for r in runs("store", load):
        seconds = r.get("wall_s") or 1
        per_line = r["used_bytes"] / r["rows"] if r["rows"] else 0
        payload = r["payload_bytes"] / r["rows"] if r["rows"] else 0
        print(f"| {load} | {r['process_cpu_pct']['store']} | {r['written']:,} | {r['written'] / seconds:,.0f} | {r['rows']:,} | {r['chunks']:,} | {r.get('journal_rows', 0):,} | {(r['rows'] - r.get('journal_lines', 0)) / max(r['chunks'], 1):.0f} | {per_line:.0f} | {payload:.0f} |")

startup = [r for r in rows if r["load"] == "startup"]
if startup:
    print()
    print("| start-up with a full database | value |")
    print("|---|---|")
    if fill:
        print(f"| database | {fill['written']:,} lines written, {fill['rows']:,} kept (whole chunks: at least 1000 per room), {fill['used_bytes'] / 2**20:.1f} MiB in use "
              f"({fill['used_bytes'] / max(fill['rows'], 1):.0f} bytes per kept line of {fill['payload_bytes'] / max(fill['rows'], 1):.0f} payload bytes), "
              f"file {fill['disk_bytes'] / 2**20:.1f} MiB |")
    print(f"| rooms and lines loaded | {startup[0]['rooms']:,} rooms, {startup[0]['lines']:,} lines |")
    print(f"| router load time (its log), each start | {', '.join(str(r['load_ms']) + ' ms' for r in startup)} |")
    print(f"| machat start to both gateways ready | {', '.join(str(r['ready_s']) + ' s' for r in startup)} |")
