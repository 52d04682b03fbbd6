#!/bin/bash
# Rates of the 1M fills, LatticeKV alone, three rounds each, alternating base / new.
cd /tmp/run81-mem-ab
while ! grep -q done log.txt; do sleep 2; done
run() {
  local name=$1 build=$2; shift 2
  echo "$name start $(date -u +%T) $(cut -d' ' -f1-3 /proc/loadavg)" >> log.txt
  dotnet /work/$build/engine.bench/bin/Release/net10.0/LatticeKV.Bench.dll compare --engines latticekv "$@" --dir /tmp/run81-mem-ab/d-$name --out /tmp/run81-mem-ab/$name > $name.log 2>&1
  echo "$name end $(date -u +%T) $(cut -d' ' -f1-3 /proc/loadavg) rc $?" >> log.txt
  rm -rf /tmp/run81-mem-ab/d-$name
}
W="--num 1000000 --workloads fillseq,fillrandom --write-rounds 3 --no-cold"
run rates-new-1 wt-mem $W
run rates-base-1 wt-mem-base $W
run rates-base-2 wt-mem-base $W
run rates-new-2 wt-mem $W
echo done2 >> log.txt
