#!/usr/bin/env python3
"""One line per steady-loop run of run86-cnb: build, start, load, median ops/s and CPU per op of the second half, peak RSS, GC, pool."""
import glob, os, re
d = os.path.dirname(os.path.abspath(__file__))
for p in sorted(glob.glob(os.path.join(d, '*-*.txt'))):
    name = os.path.basename(p)
    if not (name.startswith('seek-') or name.startswith('read-')): continue
    t = open(p).read()
    m = re.search(r'median of the second half ([\d,]+) \w+/s, ([\d.]+) µs CPU/read; peak RSS (\d+) MB', t)
    if not m: print(name, 'incomplete'); continue
    load = re.findall(r'(\d\d:\d\d:\d\d) up .*?load average: ([\d.]+)', t)
    gc = re.search(r'GC pauses ([\d.]+) %.*collections (\S+)', t)
    pool = re.search(r"pool: holds ([\d.]+) MB of ([\d.]+), (\d+) MB allocated, ([\d,]+) allocations", t)
    heap = re.findall(r'^ 30 s .*?heap (\d+) MB .*?off-heap (\d+) MB', t, re.M)
    print(f"{name:22s} start {load[0][0] if load else '?'} load {'/'.join(l[1] for l in load)}: {m.group(1):>8} ops/s, {m.group(2)} us CPU/op, peak RSS {m.group(3)} MB, "
          f"GC {gc.group(1)}% {gc.group(2)}" + (f", heap/off-heap at 30 s {heap[0][0]}/{heap[0][1]} MB" if heap else '') + (f", pool {pool.group(1)}/{pool.group(2)} MB, {pool.group(4)} allocations" if pool else ''))
