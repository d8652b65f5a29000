#!/usr/bin/env python3
"""Tables for bench/history.sh from its results.jsonl."""
import statistics
import sys

import results

rows = results.read(sys.argv[1])


def runs(server, load):
    return results.runs(rows, server, load)



results.comparison(rows, "history-off", "history-on", ('history off', 'history on (1000)'), 0.9, 1.1)

m_off = runs("history-off", "M-rss")
m_on = runs("history-on", "M-rss")
if m_off and m_on:
    lines = 1000 * 1000
    sent = [r for r in rows if r["load"] == "M" and r["server"] == "history-on"]
    per_room = sent[0]["sent"] / 1000 if sent and "sent" in sent[0] else None
    delta = m_on[0]["router_rss_bytes"] - m_off[0]["router_rss_bytes"]
    name_bytes = 6  # names c<room>_0 are 4 to 6 bytes
    print()
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| router RSS, history off / on | {m_off[0]['router_rss_bytes'] / 2**20:.1f} MiB / {m_on[0]['router_rss_bytes'] / 2**20:.1f} MiB | |")
    if per_room is not None:
        print(f"| lines sent per room | {per_room:,.0f} (the log keeps the last 1000) | >= 1000 |")
    print(f"| bytes per stored line (delta / 1,000,000) | {delta / lines:.1f} | <= {1.5 * 64 + 32:.0f} (1.5 x 64 + 32) |")

bench = [r for r in rows if r["server"].startswith("bench-")]
if bench:
    print()
    print("| machat-bench load A | text members | JSON members | JSON / text (median of pairs) | target | met |")
    print("|---|---|---|---|---|---|")
    for mix in ["tcp", "ws"]:
        texts, jsons = runs("bench-text", f"A-{mix}"), runs("bench-json", f"A-{mix}")
        text = statistics.median(r["delivered_per_s"] for r in texts)
        js = statistics.median(r["delivered_per_s"] for r in jsons)
        pairs = results.paired(texts, jsons, "delivered_per_s")
        ratio = statistics.median(pairs)
        print(f"| {mix} deliveries/s (median) | {text:,.0f} | {js:,.0f} | {ratio:.2f} | >= 0.80 | {'yes' if ratio >= 0.8 else 'no'} |")
        print(f"|   (pairs) | | | {[round(p, 2) for p in pairs]} | | |")
