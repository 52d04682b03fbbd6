#!/bin/bash
# Amortized drain (a drain rewrites at most a quarter of the work since the last one): 1M amort, 1M base, 10M amort
R=/work/wt-idle/engine.bench/results/run84-idle
run() { out=$R/$1; mkdir -p $out; rm -rf $3; { date -u; uptime; } > $out/load.txt
  dotnet $2/LatticeKV.Bench.dll compare --engines latticekv,rocksdb "${@:4}" --dir $3 --out $out > $out/console.txt 2>&1
  echo "rc $?" >> $out/load.txt; { date -u; uptime; } >> $out/load.txt; rm -rf $3; }
run read1m-amort1 /tmp/amort84/net10.0 /tmp/idle84-a --num 1000000 --workloads fillrandom,readrandom,seekrandom --read-rounds 3 --no-cold
run read1m-base3 /tmp/base84/net10.0 /tmp/idle84-a --num 1000000 --workloads fillrandom,readrandom,seekrandom --read-rounds 3 --no-cold
run amort10m /tmp/amort84/net10.0 /tmp/idle84-a --num 10000000 --workloads fillrandom,readrandom,seekrandom --read-rounds 3 --reads 1000000 --cache-mb 512 --no-cold
echo alldone
