#!/bin/sh
# run85.sh <tag> <bin dir> <engines> [env assignments...]: one readwhilewriting compare at 10M under the bench lock.
tag=$1; bin=$2; engines=$3; shift 3
out=engine.bench/results/run85-rww/$tag
mkdir -p $out
flock /work/bench.lock sh -c "
  { date -u; uptime; } > $out/load.txt
  env $* /usr/bin/time -v -o $out/time.txt dotnet $bin/LatticeKV.Bench.dll compare --engines $engines --num 10000000 --workloads readwhilewriting --cache-mb 512 --no-cold --dir /tmp/rww-$tag --out $out > $out/console.txt 2>&1
  { date -u; uptime; } >> $out/load.txt
  rm -rf /tmp/rww-$tag"
