#!/usr/bin/env python3
"""One row of bench/scale.sh's table from a loadgen -json line on stdin."""
import json
import sys

d = json.load(sys.stdin)
label = sys.argv[1]
conns = max(1, d["connected"])
bad = d["lost"] + d["duplicates"] + d["out_of_order"] + d["order_mismatch_rooms"]
per_conn = (d["rss_peak_bytes"] - d["rss_base_bytes"]) / conns
print(f"| {label} | {d['connected']:,} | {d.get('delivered_per_s', 0):,} | {d.get('lat_p99_ms', '-')} | "
      f"{per_conn:,.0f} | {d['rss_peak_bytes'] / 2**20:.1f} | {d.get('server_cpu_pct', '-')} | "
      f"{'clean' if bad == 0 else bad} |")
