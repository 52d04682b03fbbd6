#!/bin/sh
# rww.sh <tag> <build dir>: one readwhilewriting compare at 10M (both engines) under the bench lock.
tag=$1; bin=$2/engine.bench/bin/Release/net10.0
out=/work/wt-cnb/engine.bench/results/run86-cnb/$tag
mkdir -p $out
flock /work/bench.lock sh -c "
  { date -u; uptime; } > $out/load.txt
  /usr/bin/time -v -o $out/time.txt dotnet $bin/LatticeKV.Bench.dll compare --engines latticekv,rocksdb --num 10000000 --workloads readwhilewriting --cache-mb 512 --no-cold --dir /work/benchdata-cnb/rww-$tag --out $out > $out/console.txt 2>&1
  { date -u; uptime; } >> $out/load.txt
  rm -rf /work/benchdata-cnb/rww-$tag"
