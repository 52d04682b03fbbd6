#!/bin/bash
# Alternating base / new, LatticeKV beside RocksDB (P/Invoke), 1M writing workloads plus the fresh-process fill, then 10M fillrandom.
cd /tmp/run81-mem-ab
run() { # name build args...
  local name=$1 build=$2; shift 2
  echo "$name start $(date -u +%T) $(cut -d' ' -f1-3 /proc/loadavg)" >> log.txt
  dotnet /work/$build/engine.bench/bin/Release/net10.0/LatticeKV.Bench.dll compare --engines latticekv,rocksdb "$@" --dir /tmp/run81-mem-ab/d-$name --out /tmp/run81-mem-ab/$name > $name.log 2>&1
  echo "$name end $(date -u +%T) $(cut -d' ' -f1-3 /proc/loadavg) rc $?" >> log.txt
  rm -rf /tmp/run81-mem-ab/d-$name
}
M1="--num 1000000 --workloads fillseq,fillrandom,overwrite"
run 1m-base-1 wt-mem-base $M1
run 1m-new-1 wt-mem $M1
run 1m-new-2 wt-mem $M1
run 1m-base-2 wt-mem-base $M1
run 10m-new-1 wt-mem --num 10000000 --workloads fillrandom --cache-mb 512 --no-cold
run 10m-base-1 wt-mem-base --num 10000000 --workloads fillrandom --cache-mb 512 --no-cold
echo done >> log.txt
