#!/bin/bash
# One 10M fillrandom run of a build: run.sh <name> <bench-dll-dir>
set -u
name=$1; bin=$2
out=$(dirname "$0")
echo "$name start $(date -u +%H:%M:%S) $(uptime)" >> "$out/log.txt"
LKV_PHASEPEAKS=$out/$name.phases dotnet "$bin/LatticeKV.Bench.dll" compare --engines latticekv --num 10000000 --workloads fillrandom \
    --cache-mb 512 --no-cold --dir /work/benchdata-mem80/$name --out "$out/$name.out" > "$out/$name.log" 2>&1
rm -rf /work/benchdata-mem80/$name
cp "$out/$name.out/results.md" "$out/$name.md" && rm -rf "$out/$name.out"
echo "$name end $(date -u +%H:%M:%S) $(uptime)" >> "$out/log.txt"
