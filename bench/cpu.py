#!/usr/bin/env python3
"""Runs a command and adds the CPU each named process used meanwhile to its
JSON output line: `cpu.py name=pid ... -- command args...`."""
import json
import os
import subprocess
import sys
import time

split = sys.argv.index("--")
named = [arg.split("=", 1) for arg in sys.argv[1:split]]
command = sys.argv[split + 1:]
ticks = os.sysconf("SC_CLK_TCK")


def cpu(pid):
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks
    except OSError:
        return 0.0


before = {name: cpu(pid) for name, pid in named}
start = time.time()
output = subprocess.run(command, stdout=subprocess.PIPE, check=False).stdout.decode()
elapsed = time.time() - start
line = json.loads(output.strip().splitlines()[-1])
line["process_cpu_pct"] = {name: round(100 * (cpu(pid) - before[name]) / elapsed, 1) for name, pid in named}
line["wall_s"] = round(elapsed, 1)
print(json.dumps(line))
