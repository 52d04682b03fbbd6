#!/bin/bash
# Alternating base (/tmp/base82) / new, LatticeKV beside RocksDB (P/Invoke), 1M writing workloads plus the fresh-process fill.
cd /tmp/run82-mem
run() { # name bindir args...
  local name=$1 bin=$2; shift 2
  echo "$name start $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> log.txt
  dotnet $bin/LatticeKV.Bench.dll compare --engines latticekv,rocksdb "$@" --dir /tmp/run82-mem/d-$name --out /tmp/run82-mem/o-$name > $name.log 2>&1
  echo "$name end $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg) rc $?" >> log.txt
  rm -rf /tmp/run82-mem/d-$name
}
M1="--num 1000000 --workloads fillseq,fillrandom,overwrite"
for spec in "$@"; do
  name=${spec%%:*}; bin=${spec#*:}
  case $name in 10m*) run $name $bin --num 10000000 --workloads fillrandom --cache-mb 512 --no-cold;; *) run $name $bin $M1;; esac
done
echo done >> log.txt
