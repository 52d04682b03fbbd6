#!/usr/bin/env python3
"""Prints one line per run of run86-cnb: reads/s, p50, peak RSS, reads, reader CPU per read, thread CPU."""
import json, os, re, sys
d = os.path.dirname(os.path.abspath(__file__))
for tag in sys.argv[1:]:
    p = os.path.join(d, tag, 'results.json')
    if not os.path.exists(p):
        print(tag, 'missing'); continue
    load = open(os.path.join(d, tag, 'load.txt')).read().split('\n')
    start = load[0][11:19] if load else ''
    la = re.findall(r'load average: ([0-9.]+)', ''.join(load))
    for eng in json.load(open(p)):
        for r in eng['Results']:
            note = r['Note']
            reads = int(re.search(r'(\d+) reads while', note).group(1))
            cpu = {k: int(v) for k, v in re.findall(r'(thread\.[^ ]+?\.cpu-ms|proc\.cpu-ms) \+(\d+)', note)}
            reader = cpu.get('thread.dotnet.cpu-ms', 0)
            print(f"{tag:10s} {r['Engine']:9s} start {start} load {'/'.join(la)}: {r['OpsPerSecond']:8,.0f} reads/s, p50 {r['P50Micros']:.1f} us, "
                  f"peak RSS {r['PeakRssBytes']/1e6:6,.0f} MB, {reads:,} reads in {r['Seconds']:.1f} s, "
                  f"reader CPU {reader/1000:.1f} s = {reader*1000/max(reads,1):.1f} us/read, proc CPU {cpu.get('proc.cpu-ms',0)/1000:.1f} s, "
                  f"flush {cpu.get('thread.lattice-flush.cpu-ms',0)/1000:.1f} s, compact {cpu.get('thread.lattice-compact.cpu-ms',0)/1000:.1f} s")
