# The categories of profile-*.txt: python3 profile-categories.py <(perf script -F comm,pid,tid,ip,sym,dso) x  (x: leave out the main thread, which runs the fills)
import sys, re, collections
# perf script output: header line per sample then stack lines, blank line separator
cats = [
 ("receiver: apply plan (judge, lookups, batch)", ["RemoteChangeApplier::Plan"]),
 ("receiver: write path (WAL, memtables)", ["RemoteChangeApplier::ApplyPart", "WritePath::", "WriteChecked"]),
 ("receiver: apply other", ["RemoteChangeApplier"]),
 ("receiver: decode frames", ["SyncMessages::ReadChanges", "SyncMessages::DecodeChanges"]),
 ("frame codec (crc, snappy, copy)", ["FrameCodec", "SyncChannel::Encode", "Snappier", "Crc32C"]),
 ("sender: read log", ["ChangeStreamReader"]),
 ("sender: encode", ["SyncMessages::WriteChanges", "SyncMessages::EncodeChanges", "ChangesEncoder"]),
 ("sender: read log (inlined into SendAsync)", ["SyncSession+<SendAsync>"]),
 ("TLS", ["SslStream", "libssl", "libcrypto"]),
 ("flush", ["FlushJob", "MemTableFlush", "FlushMemTable"]),
 ("compaction", ["Compaction"]),
 ("GC", ["gc_heap", "WKS::", "SVR::", "GCHeap", "GarbageCollect"]),
 ("JIT (compiling)", ["libclrjit"]),
]
def main(path, skip_main):
    counts = collections.Counter(); total = 0
    sample = []
    hdr = None
    def flush():
        nonlocal total
        if hdr is None: return
        comm, pid, tid = hdr
        if skip_main and tid == pid: return
        total += 1
        text = "\n".join(sample)
        for name, pats in cats:
            if any(p in text for p in pats):
                counts[name] += 1; return
        # leaf dso
        leaf = sample[0] if sample else "?"
        if "kernel" in leaf: counts["other: kernel"] += 1
        else: counts["other"] += 1
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if not line:
            flush(); hdr = None; sample = []; continue
        if not line.startswith(("\t", " ")):
            m = re.match(r"(.+?)\s+(\d+)/(\d+)", line)
            hdr = (m.group(1), m.group(2), m.group(3)) if m else ("?", "0", "1")
            continue
        sample.append(line.strip())
    flush()
    print(f"{total} samples (main thread {'excluded' if skip_main else 'included'})")
    for name, c in counts.most_common(): print(f"{100*c/total:5.1f}% {name}")
main(sys.argv[1], len(sys.argv) > 2)
