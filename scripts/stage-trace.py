#!/usr/bin/env python3
"""Where each C-STORE's time went: reads the file a StageTrace build writes (TCIAPACS_STAGE_TRACE) and prints, for the
last COUNT stores, the median and mean time of each step from the command decoded to the response sent, and the
shared syncfs and commit each store waited for (matched by time: the first to start after its file was published).

Usage: stage-trace.py TRACE_FILE [COUNT]
"""
import bisect
import statistics as st
import sys

path, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 500
per_ns = 1.0
stores, shared = {}, {20: [], 8: [], 9: [], 21: [], 10: []}
with open(path) as f:
    for line in f:
        if line.startswith("#"):
            per_ns = 1e9 / int(line.split(";")[1].split()[0])  # ns per tick
            continue
        stage, ticks, _thread, key = map(int, line.split())
        if key:
            stores.setdefault(key, {}).setdefault(stage, ticks)
        elif stage in shared:
            shared[stage].append(ticks)
done = sorted((s for s in stores.values() if 0 in s and 7 in s and 13 in s), key=lambda s: s[0])[-count:]
if not done:
    sys.exit("no complete C-STORE in the trace (was the server built with -p:StageTrace=true?)")


def after(times, t):
    i = bisect.bisect_right(times, t)
    return times[i] if i < len(times) else None


for s in done:
    s["sync start"] = after(shared[20], s[7])
    s["sync end"] = after(shared[8], s["sync start"]) if s["sync start"] else None
    s["commit end"] = after(shared[10], s["sync end"]) if s["sync end"] else None

steps = [
    (1, "rest of the data set arrives, spooled (socket thread)"),
    (2, "hand-off to a pool thread, handler starts"),
    (3, "parse"),
    (4, "validation and filters"),
    (5, "staged (rename into the series folder)"),
    (6, "duplicate lookup"),
    (7, "published (final name)"),
    ("sync start", "wait for a syncfs to start (hand-off, or the one running)"),
    ("sync end", "syncfs"),
    ("commit end", "catalog commit (the record's statements ran meanwhile)"),
    (11, "store resumes"),
    (12, "pipeline returns to the DIMSE service"),
    (13, "C-STORE-RSP sent"),
]
print(f"{len(done)} stores; µs per step (median, mean)")
previous = 0
for stage, what in steps:
    values = [(s[stage] - s[previous]) * per_ns / 1000 for s in done if s.get(stage) and s.get(previous)]
    if values:
        print(f"  {what:60s} {st.median(values):8.1f} {st.mean(values):8.1f}")
    previous = stage
total = [(s[13] - s[0]) * per_ns / 1000 for s in done]
print(f"  {'command decoded -> response sent':60s} {st.median(total):8.1f} {st.mean(total):8.1f}")
first, last = done[0][0], done[-1][13]
syncs = [(e - b) * per_ns / 1000 for b, e in zip(shared[20], shared[8]) if first <= b and e <= last]
if syncs:
    print(f"  {len(syncs)} syncfs calls meanwhile, {st.median(syncs):.0f} µs median each, {len(done) / len(syncs):.2f} stores per sync")
