#!/bin/bash
# 1M fillrandom, readrandom, seekrandom; base then new then new then base
for pair in "read1m-base1 /tmp/base84/net10.0" "read1m-new1 /tmp/new84/net10.0" "read1m-new2 /tmp/new84/net10.0" "read1m-base2 /tmp/base84/net10.0"; do
  set -- $pair
  out=/work/wt-idle/engine.bench/results/run84-idle/$1
  mkdir -p $out; rm -rf /tmp/idle84-r
  { date -u; uptime; } > $out/load.txt
  dotnet $2/LatticeKV.Bench.dll compare --engines latticekv,rocksdb --num 1000000 --workloads fillrandom,readrandom,seekrandom --read-rounds 3 --no-cold --dir /tmp/idle84-r --out $out > $out/console.txt 2>&1
  echo "rc $?" >> $out/load.txt; { date -u; uptime; } >> $out/load.txt
  rm -rf /tmp/idle84-r
done
echo alldone
