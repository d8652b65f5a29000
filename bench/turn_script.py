#!/usr/bin/env python3
"""Prints the Redis engine's turn script exactly as the router loads it
(from Sources/RouterCore/Redis/RedisScripts.swift), for redis-benchmark."""
import pathlib
import re
import textwrap

source = (pathlib.Path(__file__).resolve().parent.parent / "Sources/RouterCore/Redis/RedisScripts.swift").read_text()
match = re.search(r'static let turn = RedisScript\(\s*source: #"""\n(.*?)\n\s*"""#\)', source, re.S)
print(textwrap.dedent(match.group(1)))
