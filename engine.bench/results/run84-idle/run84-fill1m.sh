#!/bin/bash
# 1M fillrandom only, alternated base/new/new/base, three write rounds each
for pair in "fill1m-base1 /tmp/base84/net10.0" "fill1m-new1 /tmp/new84/net10.0" "fill1m-new2 /tmp/new84/net10.0" "fill1m-base2 /tmp/base84/net10.0"; do
  set -- $pair
  out=/work/wt-idle/engine.bench/results/run84-idle/$1
  mkdir -p $out; rm -rf /tmp/idle84-f
  { date -u; uptime; } > $out/load.txt
  dotnet $2/LatticeKV.Bench.dll compare --engines latticekv,rocksdb --num 1000000 --workloads fillrandom --write-rounds 3 --dir /tmp/idle84-f --out $out > $out/console.txt 2>&1
  echo "rc $?" >> $out/load.txt; { date -u; uptime; } >> $out/load.txt
  rm -rf /tmp/idle84-f
done
echo alldone
