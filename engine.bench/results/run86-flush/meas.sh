#!/bin/bash
# usage: meas.sh <build-dir> <tag> <workload> <engines>
B=$1; T=$2; W=${3:-fillrandom}; E=${4:-latticekv}
rm -rf /work/flushbench/D-$T; mkdir -p /work/flushbench/O-$T
{ date -u; uptime; } > /work/flushbench/O-$T/load.txt
dotnet $B/engine.bench/bin/Release/net10.0/LatticeKV.Bench.dll compare --engines $E --num 10000000 --workloads $W --cache-mb 512 --no-cold --dir /work/flushbench/D-$T --out /work/flushbench/O-$T > /work/flushbench/O-$T/stdout.txt 2>&1
{ date -u; uptime; } >> /work/flushbench/O-$T/load.txt
rm -rf /work/flushbench/D-$T
