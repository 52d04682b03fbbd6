import sys, time, os
# Samples VmRSS/VmHWM of the children of the runner (each engine runs in a child process).
parent, out = sys.argv[1], sys.argv[2]
def children(pid):
    try:
        return [c for t in os.listdir(f'/proc/{pid}/task') for c in open(f'/proc/{pid}/task/{t}/children').read().split()]
    except OSError:
        return []
last = {}
with open(out, 'w') as f:
    while os.path.exists(f'/proc/{parent}'):
        for pid in children(parent):
            try:
                s = open(f'/proc/{pid}/status').read()
            except OSError:
                continue
            d = {}
            for line in s.splitlines():
                if line.startswith(('VmRSS', 'VmHWM', 'RssAnon', 'RssFile', 'RssShmem')):
                    k, v = line.split(':'); d[k] = int(v.split()[0]) // 1024
            cur = (d.get('VmRSS'), d.get('VmHWM'))
            if cur != last.get(pid) and cur[0] is not None:
                f.write(f"{time.time():.3f} pid {pid} rss {d.get('VmRSS')} hwm {d.get('VmHWM')} anon {d.get('RssAnon')} file {d.get('RssFile')} shmem {d.get('RssShmem')}\n"); f.flush()
                last[pid] = cur
        time.sleep(0.005)
