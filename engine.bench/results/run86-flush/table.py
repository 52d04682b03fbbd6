import re, subprocess, statistics, sys
lines = subprocess.run(['python3', 'summary.py', sys.argv[1]], capture_output=True, text=True).stdout.splitlines()
rows = {}
for l in lines:
    name = l.split()[0].replace('O-', '')
    if not name.startswith('fr-'): continue
    g = lambda k: re.search(k + r' ([0-9.,/]+)', l).group(1)
    build = 'base' if 'base' in name else 'new'
    rows[name] = dict(build=build, start=l.split()[2], load=g('load'), ops=g('ops/s'), sus=g('sustained'), rss=g('rss'),
                      flush=int(g('flush')), compact=int(g('compact')), proc=int(g('proc')), cpw=float(g('us')), comp=g('compactions'))
order = sorted(rows, key=lambda n: rows[n]['start'])
for n in order:
    r = rows[n]
    print(f"| `{n[3:]}` ({r['start'][:5]}, {r['load'].replace('/', ' / ')}) | {r['build']} | {r['flush']/1000:.1f} | {r['compact']/1000:.1f} ({r['comp']}) | {r['proc']/1000:.1f} | {r['cpw']:.2f} | {r['ops']} | {r['sus']} | {r['rss']} |")
for b in ('base', 'new'):
    sel = [rows[n] for n in rows if rows[n]['build'] == b]
    med = lambda k: statistics.median(r[k] for r in sel)
    medn = lambda k: statistics.median(int(r[k].replace(',', '')) for r in sel)
    print(b, len(sel), 'flush', med('flush'), 'compact', med('compact'), 'proc', med('proc'), 'cpw', med('cpw'), 'ops', medn('ops'), 'sus', medn('sus'), 'rss', statistics.median(float(r['rss']) for r in sel))
