#!/bin/bash
# A second 10M pair beside RocksDB, base first this time.
cd /tmp/run81-mem-ab
run() {
  local name=$1 build=$2; shift 2
  echo "$name start $(date -u +%T) $(cut -d' ' -f1-3 /proc/loadavg)" >> log.txt
  dotnet /work/$build/engine.bench/bin/Release/net10.0/LatticeKV.Bench.dll compare --engines latticekv,rocksdb "$@" --dir /tmp/run81-mem-ab/d-$name --out /tmp/run81-mem-ab/$name > $name.log 2>&1
  echo "$name end $(date -u +%T) $(cut -d' ' -f1-3 /proc/loadavg) rc $?" >> log.txt
  rm -rf /tmp/run81-mem-ab/d-$name
}
run 10m-base-2 wt-mem-base --num 10000000 --workloads fillrandom --cache-mb 512 --no-cold
run 10m-new-2 wt-mem --num 10000000 --workloads fillrandom --cache-mb 512 --no-cold
echo done3 >> log.txt
