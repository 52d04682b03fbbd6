#!/bin/bash
# usage: prof.sh <build-dir> <num> <tag>
B=$1; N=$2; T=$3
rm -rf /work/flushbench/D-$T; mkdir -p /work/flushbench/O-$T
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
perf record -F 499 -g -o /work/flushbench/perf-$T.data -- dotnet $B/engine.bench/bin/Release/net10.0/LatticeKV.Bench.dll compare --engines latticekv --num $N --workloads fillrandom --cache-mb 512 --no-cold --dir /work/flushbench/D-$T --out /work/flushbench/O-$T > /work/flushbench/out-$T.txt 2>&1
rm -rf /work/flushbench/D-$T
