"""What the bench table scripts share: a results.jsonl read into rows, the
runs of one server and load, and whether runs kept every line in order."""
import json
import statistics


def read(path):
    return [json.loads(line) for line in open(path) if line.strip()]


def runs(rows, server, load):
    return [r for r in rows if r["server"] == server and r["load"] == load]


def clean(rs):
    bad = sum(r.get("lost", 0) + r.get("duplicates", 0) + r.get("out_of_order", 0) + r.get("order_mismatch_rooms", 0) for r in rs)
    return "clean" if bad == 0 else f"{bad} bad"


def paired(a, b, key):
    """Ratios b/a of the runs paired in order (each pair ran back to back)."""
    return [y[key] / x[key] for x, y in zip(a, b)]


def comparison(rows, off, on, headers, min_throughput, max_p99):
    """The loads A and C of `off` against `on` (server labels): the median of
    the paired runs' ratios, throughput at least `min_throughput`, C p99 at
    most `max_p99`; `headers` names the two columns (medians of the runs)."""
    print(f"| load | {headers[0]} | {headers[1]} | ratio (median of pairs) | target | met | integrity |")
    print("|---|---|---|---|---|---|---|")
    for load, key, fmt, better in [
        ("A-tcp", "delivered_per_s", "deliveries/s (median)", "more"), ("A-ws", "delivered_per_s", "deliveries/s (median)", "more"),
        ("C-tcp", "lat_p99_ms", "p99 ms (median)", "less"), ("C-ws", "lat_p99_ms", "p99 ms (median)", "less"),
    ]:
        a, b = runs(rows, off, load), runs(rows, on, load)
        if not a or not b:
            continue
        x = statistics.median(r[key] for r in a)
        y = statistics.median(r[key] for r in b)
        pairs = paired(a, b, key)
        ratio = statistics.median(pairs)
        target, met = (f">= {min_throughput:.2f}", ratio >= min_throughput) if better == "more" else (f"<= {max_p99:.2f}", ratio <= max_p99)
        shown = (f"{x:,.0f}", f"{y:,.0f}") if better == "more" else (f"{x:.3f}", f"{y:.3f}")
        print(f"| {load} {fmt} | {shown[0]} | {shown[1]} | {ratio:.2f} | {target} | {'yes' if met else 'no'} | {clean(a + b)} |")
        each = [round(r[key]) for r in a], [round(r[key]) for r in b]
        if better == "less":
            each = [r[key] for r in a], [r[key] for r in b]
        print(f"|   (each run; pairs) | {each[0]} | {each[1]} | {[round(p, 2) for p in pairs]} | | | |")
