"""What the bench table scripts share: a results.jsonl read into rows, the
runs of one server and load, and whether runs kept every line in order."""
import json


def read(path):
    return [json.loads(line) for line in open(path) if line.strip()]


def runs(rows, server, load):
    return [r for r in rows if r["server"] == server and r["load"] == load]


def clean(rs):
    bad = sum(r.get("lost", 0) + r.get("duplicates", 0) + r.get("out_of_order", 0) + r.get("order_mismatch_rooms", 0) for r in rs)
    return "clean" if bad == 0 else f"{bad} bad"
