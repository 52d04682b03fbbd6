#!/bin/bash
# readrandom, LatticeKV alone, three rounds on a kept fill, new then base then new then base.
cd /tmp/run81-mem-ab
run() {
  local name=$1 build=$2; shift 2
  echo "$name start $(date -u +%T) $(cut -d' ' -f1-3 /proc/loadavg)" >> log.txt
  dotnet /work/$build/engine.bench/bin/Release/net10.0/LatticeKV.Bench.dll compare --engines latticekv "$@" --dir /tmp/run81-mem-ab/d-$name --out /tmp/run81-mem-ab/$name > $name.log 2>&1
  echo "$name end $(date -u +%T) $(cut -d' ' -f1-3 /proc/loadavg) rc $?" >> log.txt
  rm -rf /tmp/run81-mem-ab/d-$name
}
R="--num 1000000 --workloads readrandom --read-rounds 3 --no-cold"

run read-base-3 wt-mem-base $R
run read-new-3 wt-mem $R

echo done5 >> log.txt
