#!/bin/bash
# usage: run84.sh <label> <bindir>
label=$1; bin=$2
out=/work/wt-idle/engine.bench/results/run84-idle/$label
mkdir -p $out
rm -rf /tmp/idle84-d
{ date -u; uptime; } > $out/load.txt
/usr/bin/time -v dotnet $bin/LatticeKV.Bench.dll compare --engines latticekv,rocksdb --num 10000000 --workloads fillrandom,readrandom,seekrandom --read-rounds 3 --reads 1000000 --cache-mb 512 --no-cold --dir /tmp/idle84-d --out $out > $out/console.txt 2> $out/time.txt
echo "rc $?" >> $out/load.txt
{ date -u; uptime; } >> $out/load.txt
rm -rf /tmp/idle84-d
