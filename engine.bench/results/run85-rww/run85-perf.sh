#!/bin/sh
# run85-perf.sh <tag> <bin dir>: LatticeKV's 10M readwhilewriting under the bench lock, with perf
# recording the whole process (per thread) for 12 s from the start of the workload.
tag=$1; bin=$2
out=$PWD/engine.bench/results/run85-rww/$tag
mkdir -p $out; rm -f $out/peak.txt
flock /work/bench.lock sh -c "
  { date -u; uptime; } > $out/load.txt
  DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 LKV_PEAKSAMPLE=$out/peak.txt dotnet $bin/LatticeKV.Bench.dll compare --engines latticekv --num 10000000 --workloads readwhilewriting --cache-mb 512 --no-cold --dir /tmp/rww-$tag --out $out > $out/console.txt 2>&1 &
  while ! grep -q started $out/peak.txt 2>/dev/null; do sleep 0.2; done
  pid=\$(sed -n 's/.*pid \([0-9]*\).*/\1/p' $out/peak.txt | head -1)
  perf record -F 499 -g -p \$pid -o /tmp/perf-$tag.data -- sleep 12 2> $out/perf-record.txt
  wait
  { date -u; uptime; } >> $out/load.txt
  rm -rf /tmp/rww-$tag"
