#!/bin/bash
# The new build beside RocksDB (P/Invoke), 10M fillrandom.
out=$(dirname "$0"); name=${1:-r3-new-rocks}
echo "$name start $(date -u +%H:%M:%S) $(uptime)" >> "$out/log.txt"
dotnet /work/wt-mem/engine.bench/bin/Release/net10.0/LatticeKV.Bench.dll compare --engines latticekv,rocksdb --num 10000000 --workloads fillrandom \
    --cache-mb 512 --no-cold --dir /work/benchdata-mem80/$name --out "$out/$name.out" > "$out/$name.log" 2>&1
rm -rf /work/benchdata-mem80/$name
cp "$out/$name.out/results.md" "$out/$name.md" && rm -rf "$out/$name.out"
echo "$name end $(date -u +%H:%M:%S) $(uptime)" >> "$out/log.txt"
