#!/usr/bin/env python3
"""Prints the MaChat-vs-NATS table from bench/run.sh's results.jsonl."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
groups = {}
for r in rows:
    groups.setdefault((r["server"], r["load"]), []).append(r)


def median_row(runs):
    """A load run several times (latency) reports the median of each number."""
    if len(runs) == 1:
        return runs[0]
    merged = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and all(key in r for r in runs):
            values = sorted(r[key] for r in runs)
            merged[key] = values[len(values) // 2]
    for key in ("lost", "duplicates", "out_of_order", "order_mismatch_rooms"):
        merged[key] = max(r.get(key, 0) for r in runs)  # integrity: the worst run counts
    merged["runs"] = len(runs)
    merged["p99_runs"] = [r["lat_p99_ms"] for r in runs]
    return merged


by = {key: median_row(runs) for key, runs in groups.items()}


def integrity(r):
    bad = r["lost"] + r["duplicates"] + r["out_of_order"] + r["order_mismatch_rooms"]
    return "clean" if bad == 0 else (
        f"lost={r['lost']} dup={r['duplicates']} ooo={r['out_of_order']} mismatch_rooms={r['order_mismatch_rooms']}")


def per_conn(r):
    return (r.get("rss_peak_bytes", 0) - r.get("rss_base_bytes", 0)) / max(1, r["connected"])


print()
print("| load | MaChat | NATS | ratio | target | met | MaChat integrity |")
print("|---|---|---|---|---|---|---|")
for load in ["A-tcp", "A-ws", "B-tcp", "B-ws"]:
    m, n = by.get(("machat", load)), by.get(("nats", load.split("-")[0]))
    if not m or not n:
        continue
    ratio = m["delivered_per_s"] / max(1, n["delivered_per_s"])
    print(f"| {load} deliveries/s | {m['delivered_per_s']:,} | {n['delivered_per_s']:,} | {ratio:.2f}x | >= NATS | "
          f"{'yes' if ratio >= 1 and integrity(m) == 'clean' else 'NO'} | {integrity(m)} |")
for load in ["C-tcp", "C-ws"]:
    m, n = by.get(("machat", load)), by.get(("nats", "C"))
    if not m or not n:
        continue
    ok = m["lat_p99_ms"] <= n["lat_p99_ms"] and m["lat_p50_ms"] <= 1.5
    runs = f" (median of {m['runs']} runs)" if "runs" in m else ""
    print(f"| {load} p50 / p99 ms{runs} | "
          f"{m['lat_p50_ms']} / {m['lat_p99_ms']} | {n['lat_p50_ms']} / {n['lat_p99_ms']} | "
          f"{n['lat_p99_ms'] / max(0.001, m['lat_p99_ms']):.1f}x lower p99 | p99 <= NATS, p50 <= 1.5 | {'yes' if ok else 'NO'} | {integrity(m)} |")
for load in ["D-tcp", "D-ws"]:
    m, n = by.get(("machat", load)), by.get(("nats", "D"))
    if not m or not n:
        continue
    mb, nb = per_conn(m), per_conn(n)
    print(f"| {load} bytes/conn (all processes) | {mb:,.0f} | {nb:,.0f} | {nb / max(1, mb):.1f}x smaller | <= 4096 | "
          f"{'yes' if mb <= 4096 else 'NO'} | {m['connected']:,} connected |")
e = by.get(("machat", "E"))
parts = [r for r in rows if r["load"] == "E-part"]
if e:
    connected = sum(p["connected"] for p in parts)
    unready = sum(p["unready_rooms"] for p in parts)
    print(f"| E concurrent joined connections | {connected:,} ({e['sockets']:,} sockets, {e['processes']} processes, "
          f"{e['rss_total_bytes'] / 2**20:.0f} MiB RSS) | - | - | 100,000 | "
          f"{'yes' if connected >= 100_000 and unready == 0 else 'NO'} | {unready} unready rooms |")
print()
for (server, load), r in sorted(by.items()):
    if "p99_runs" in r and load.startswith("C"):
        print(f"{server} {load}: p99 of each run (ms) {r['p99_runs']}")
print()
print("| load | MaChat server CPU % | loadgen CPU % | machine CPU % |")
print("|---|---|---|---|")
for (server, load), r in sorted(by.items()):
    if server == "machat" and load[0] in "ABC":
        print(f"| {load} | {r.get('server_cpu_pct', '-')} | {r.get('loadgen_cpu_pct', '-')} | {r.get('machine_cpu_pct', '-')} |")
