import json,sys,glob,re
# usage: peaks.py o-dir...  -> per run: workload: lkv/rocks peak MB, ratio, ops ratio burst/sustained
for d in sys.argv[1:]:
    res=json.load(open(d+'/results.json'))
    by={}
    for e in res:
        for r in e['Results']:
            w=r['Workload']+(' (fresh)' if r.get('Cold') or r.get('FreshProcess') else '')
            by.setdefault(w,{})[e['Engine']]=r
    out=[]
    for w,v in by.items():
        l,k=v.get('latticekv'),v.get('rocksdb')
        if not l or not k: continue
        cpu=re.search(r'proc.cpu-ms \+(\d+)',l.get('Note') or '')
        out.append(f"{w}: {l['PeakRssBytes']/1e6:.0f}/{k['PeakRssBytes']/1e6:.0f}={l['PeakRssBytes']/k['PeakRssBytes']:.2f} rate {l['OpsPerSecond']/k['OpsPerSecond']:.2f}/{(l.get('SustainedOpsPerSecond') or 0)/(k.get('SustainedOpsPerSecond') or 1):.2f} lkv {l['OpsPerSecond']/1e3:.0f}k cpu {cpu.group(1) if cpu else '?'}")
    print(d, *out, sep='\n  ')
