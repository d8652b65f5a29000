#!/usr/bin/env python3
"""Tables for bench/cluster.sh from its results.jsonl."""
import json
import statistics
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]


def runs(server, load):
    return [r for r in rows if r["server"] == server and r["load"] == load]


def integrity(rs):
    bad = sum(r.get("lost", 0) + r.get("duplicates", 0) + r.get("out_of_order", 0) for r in rs)
    rooms = sum(r.get("order_mismatch_rooms", 0) for r in rs)
    return "clean" if bad == 0 and rooms == 0 else f"lost/dup/ooo {bad}, mismatched rooms {rooms}"


def cpu(rs):
    if not rs:
        return "-"
    totals = {}
    for r in rs:
        for name, value in r.get("process_cpu_pct", {}).items():
            group = name.split("-", 1)[1] if name.startswith("node") else name
            totals.setdefault(group, []).append(value)
    parts = [f"{name} {statistics.median(values):.0f}" for name, values in sorted(totals.items())]
    parts.append(f"loadgen {statistics.median(r.get('loadgen_cpu_pct', 0) for r in rs):.0f}")
    return ", ".join(parts)


def median(rs, key):
    return statistics.median(r[key] for r in rs) if rs else float("nan")


print("| measure | MaChat (3 nodes + Redis) | NATS cluster (3 nodes) | ratio | target | met | MaChat integrity | NATS integrity |")
print("|---|---|---|---|---|---|---|---|")
for load, nats in [("A-tcp", "A"), ("A-ws", "A")]:
    m, n = median(runs("machat-cluster", load), "delivered_per_s"), median(runs("nats-cluster", nats), "delivered_per_s")
    print(f"| {load} deliveries/s (median) | {m:,.0f} | {n:,.0f} | {m / n:.2f}x | >= 1.0x | {'yes' if m >= n else 'no'} | "
          f"{integrity(runs('machat-cluster', load))} | {integrity(runs('nats-cluster', nats))} |")
    print(f"|   (each run) | {[round(r['delivered_per_s']) for r in runs('machat-cluster', load)]} | "
          f"{[round(r['delivered_per_s']) for r in runs('nats-cluster', nats)]} | | | | | |")
m, n = median(runs("machat-cluster", "C-tcp"), "lat_p99_ms"), median(runs("nats-cluster", "C"), "lat_p99_ms")
print(f"| C-tcp p99 ms (median of runs) | {m} | {n} | {n / m:.2f}x lower | <= NATS | {'yes' if m <= n else 'no'} | "
      f"{integrity(runs('machat-cluster', 'C-tcp'))} | {integrity(runs('nats-cluster', 'C'))} |")
print(f"|   (each run) | {[r['lat_p99_ms'] for r in runs('machat-cluster', 'C-tcp')]} | {[r['lat_p99_ms'] for r in runs('nats-cluster', 'C')]} | | | | | |")
print()
print("CPU % per process (100 = one core; median over runs):")
print()
print("| run | CPU |")
print("|---|---|")
for server, load in [("machat-cluster", "A-tcp"), ("machat-cluster", "A-ws"), ("machat-cluster", "C-tcp"),
                     ("nats-cluster", "A"), ("nats-cluster", "C"), ("redis-1shard", "A-tcp"), ("redis-2shards", "A-tcp"),
                     ("memory-1node", "A-tcp"), ("redis-1node", "A-tcp"), ("memory-1node", "C-tcp"), ("redis-1node", "C-tcp")]:
    print(f"| {server} {load} | {cpu(runs(server, load))} |")

print()
print("| Redis ceiling | value |")
print("|---|---|")
one = runs("redis-1shard", "A-tcp")
two = runs("redis-2shards", "A-tcp")
bench = [r for r in rows if r["server"] == "redis-benchmark"]
if one:
    lines = median(one, "delivered_per_s") / 10  # 10 members per room: one line, ten deliveries
    redis_cpu = statistics.median(r["process_cpu_pct"].get("redis0", 0) for r in one)
    print(f"| lines/s through one shard (load A, 1 node) | {lines:,.0f} |")
    print(f"| Redis CPU per line | {redis_cpu / 100 / lines * 1e6:.1f} µs ({redis_cpu:.0f}% of a core) |")
    if bench:
        ceiling = bench[0]["calls_per_s"] * bench[0]["lines_per_call"]
        print(f"| redis-benchmark, the same script, 10 lines per call | {ceiling:,.0f} lines/s ({bench[0]['calls_per_s']:,.0f} calls/s) |")
        print(f"| ratio (MaChat through the shard / script alone) | {lines / ceiling:.2f} |")
if two:
    print(f"| load A deliveries/s, 1 shard / 2 shards | {median(one, 'delivered_per_s'):,.0f} / {median(two, 'delivered_per_s'):,.0f} |")
print()
print("| cost of the engine (one node) | memory engine | -redis | redis / memory |")
print("|---|---|---|---|")
m, r = median(runs("memory-1node", "A-tcp"), "delivered_per_s"), median(runs("redis-1node", "A-tcp"), "delivered_per_s")
print(f"| load A deliveries/s | {m:,.0f} | {r:,.0f} | {r / m:.2f} |")
m, r = median(runs("memory-1node", "C-tcp"), "lat_p99_ms"), median(runs("redis-1node", "C-tcp"), "lat_p99_ms")
print(f"| load C p99 ms | {m} | {r} | {r / m:.2f} |")
print(f"| load C p50 ms | {median(runs('memory-1node', 'C-tcp'), 'lat_p50_ms')} | {median(runs('redis-1node', 'C-tcp'), 'lat_p50_ms')} | |")
