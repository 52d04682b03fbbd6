#!/bin/bash
set -u
R=/work/benchdata-rss/m
run() { # name dir engines num workloads
  echo "== $1 start $(date -u +%H:%M:%S) load: $(uptime | sed 's/.*load average: //')" >> $R/log.txt
  (cd $2 && dotnet engine.bench/bin/Release/net10.0/LatticeKV.Bench.dll compare --engines $3 --num $4 --workloads $5 --cache-mb 512 --no-cold --dir /work/benchdata-rss/data-$1 --out $R/$1 > $R/$1.log 2>&1)
  rm -rf /work/benchdata-rss/data-$1
  echo "== $1 end $(date -u +%H:%M:%S) load: $(uptime | sed 's/.*load average: //')" >> $R/log.txt
  grep "^| fill\|^| over" $R/$1/results.md >> $R/log.txt
}
B=/work/wt-rss-base; N=/work/wt-rss
run 10m-base-1 $B latticekv 10000000 fillrandom,overwrite
run 10m-new-1 $N latticekv 10000000 fillrandom,overwrite
run 10m-new-2 $N latticekv 10000000 fillrandom,overwrite
run 10m-base-2 $B latticekv 10000000 fillrandom,overwrite
run 10m-new-rocks $N latticekv,rocksdb 10000000 fillrandom,overwrite
run 1m-base-1 $B latticekv,rocksdb 1000000 fillrandom
run 1m-new-1 $N latticekv,rocksdb 1000000 fillrandom
run 1m-base-2 $B latticekv 1000000 fillrandom
run 1m-new-2 $N latticekv 1000000 fillrandom
echo DONE >> $R/log.txt
