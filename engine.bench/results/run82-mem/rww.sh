#!/bin/bash
# LatticeKV alone, readwhilewriting in rounds, alternating builds.
cd /tmp/run82-mem
for spec in "$@"; do
  name=${spec%%:*}; bin=${spec#*:}
  echo "$name start $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> log.txt
  dotnet $bin/LatticeKV.Bench.dll compare --engines latticekv --num 1000000 --workloads readwhilewriting --read-rounds 3 --no-cold --dir /tmp/run82-mem/d-$name --out /tmp/run82-mem/o-$name > $name.log 2>&1
  echo "$name end $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg) rc $?" >> log.txt
  rm -rf /tmp/run82-mem/d-$name
done
echo done >> log.txt
