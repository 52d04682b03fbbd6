#!/usr/bin/env python3
"""Prints one line per run of the 10M fillrandom/readwhilewriting series: run86-flush."""
import re, sys, glob, os, statistics
root = sys.argv[1] if len(sys.argv) > 1 else '.'
rows = []
for d in sorted(glob.glob(os.path.join(root, '*'))):
    f = os.path.join(d, 'stdout.txt')
    if not os.path.exists(f): continue
    text = open(f).read()
    load = open(os.path.join(d, 'load.txt')).read().split('\n')
    start = load[0].split()[3] if load and load[0] else '?'
    la = [re.search(r'load average: ([0-9.]+)', l).group(1) for l in load if 'load average' in l]
    for line in text.splitlines():
        if not line.startswith('| ') or 'Workload' in line or '---' in line: continue
        c = [x.strip() for x in line.strip('|').split('|')]
        note = c[-1]
        def m(k):
            r = re.search(re.escape(k) + r' \+(\d+)', note)
            return int(r.group(1)) if r else None
        num = 10_000_000
        proc = m('proc.cpu-ms')
        print(f"{os.path.basename(d):12} {c[1]:9} {start} load {'/'.join(la)} ops/s {c[2]} sustained {c[3]} rss {c[11]} flush {m('thread.lattice-flush.cpu-ms')} compact {m('thread.lattice-compact.cpu-ms')} proc {proc} "
              f"cpu/write us {proc/num*1000 if proc else 0:.2f} flushes {m('flush.count')} compactions {m('compaction.count')} wamp {c[8]}")
