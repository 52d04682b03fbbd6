#!/bin/bash
# usage: run.sh build(base|new) mode(seek|read) tag
R=/work/wt-cnb/engine.bench/results/run86-cnb  # raw output here
case $1 in base) B=/work/wt-cnb-base;; new) B=/work/wt-cnb;; esac
extra=""; [ "$2" = seek ] && extra="--seek"
out=$R/$2-$1-$3.txt
echo "build $1 ($(git -C $B rev-parse --short HEAD)), start $(date -u +%T)" > $out
flock /work/bench.lock bash -c "uptime >> $out; /usr/bin/time -v dotnet $B/engine.bench/bin/Release/net10.0/LatticeKV.Bench.dll read-harness --engine latticekv --db /work/benchdata-cnb/db --num 10000000 --cache-mb 512 --seconds 30 --warm $extra >> $out 2>&1; uptime >> $out"
