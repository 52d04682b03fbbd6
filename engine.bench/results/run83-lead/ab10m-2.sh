#!/bin/sh
# The lead's second side-by-side pair at 10M (run 83): main's build, then the merged build.
set -e
out=/work/wt-int/engine.bench/results/run83-lead
for b in base83 int83; do
  { date; uptime; } >> $out/times-and-load.txt
  echo "run read10m-$b-2" >> $out/times-and-load.txt
  dotnet /tmp/$b/LatticeKV.Bench.dll compare --engines latticekv,rocksdb --num 10000000 --workloads fillrandom,readrandom,seekrandom --read-rounds 3 --reads 1000000 --cache-mb 512 --no-cold --dir /tmp/lead83-10m-$b --out $out/read10m-$b-2 > $out/read10m-$b-2.log 2>&1
  rm -rf /tmp/lead83-10m-$b
done
{ date; uptime; } >> $out/times-and-load.txt
