"""What the bench table scripts share: a results.jsonl read into rows, the
runs of one server and load, and whether runs kept every line in order."""
import json
import math
import random
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


def geometric_mean(ratios):
    return math.exp(sum(math.log(r) for r in ratios) / len(ratios))


def interval(ratios, draws=4000):
    """A 95% bootstrap interval of the geometric mean of `ratios` (pairs
    drawn with replacement; seeded, so the same results give the same
    interval). On a noisy machine one pair says little: this says how far
    the pairs' mean could be from the true ratio."""
    pick = random.Random(12)
    means = sorted(geometric_mean([pick.choice(ratios) for _ in ratios]) for _ in range(draws))
    return means[int(0.025 * draws)], means[int(0.975 * draws) - 1]


def comparison(rows, off, on, headers, min_throughput, max_p99):
    """The loads A and C of `off` against `on` (server labels): the paired
    runs' ratios, throughput at least `min_throughput`, C p99 at most
    `max_p99`; `headers` names the two columns (medians of the runs).
    Whether a target is met is decided on the geometric mean of the pairs
    and its 95% interval: "yes" when the whole interval is on the right
    side of the target, "no" when the whole interval is on the wrong side,
    "not shown" when it straddles the target (more pairs could tell)."""
    print(f"| load | {headers[0]} | {headers[1]} | ratio (median of pairs) | ratio (geometric mean, 95% interval) | target | met | integrity |")
    print("|---|---|---|---|---|---|---|---|")
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
        mean, (low, high) = geometric_mean(pairs), interval(pairs)
        if better == "more":
            target, good, bad = f">= {min_throughput:.2f}", low >= min_throughput, high < min_throughput
        else:
            target, good, bad = f"<= {max_p99:.2f}", high <= max_p99, low > max_p99
        met = "yes" if good else "no" if bad else "not shown"
        shown = (f"{x:,.0f}", f"{y:,.0f}") if better == "more" else (f"{x:.3f}", f"{y:.3f}")
        print(f"| {load} {fmt} | {shown[0]} | {shown[1]} | {ratio:.2f} | {mean:.2f} [{low:.2f}, {high:.2f}] | {target} | {met} | {clean(a + b)} |")
        each = [round(r[key]) for r in a], [round(r[key]) for r in b]
        if better == "less":
            each = [r[key] for r in a], [r[key] for r in b]
        print(f"|   (each run; pairs) | {each[0]} | {each[1]} | {[round(p, 2) for p in pairs]} | | | | |")
