#!/bin/bash
# Rounds 1-2 ran the same without LKV_PHASEPEAKS and without nice (round 1 sampled the parent
# runner process by mistake: its .rss files were dropped); round 4 ran the 1M alternation.
set -u
R=/work/benchdata-mem/m3
mkdir -p $R
run() { # name dir engines num workloads
  echo "== $1 start $(date -u +%H:%M:%S) load: $(uptime | sed 's/.*load average: //')" >> $R/log.txt
  cd $2
  LKV_PHASEPEAKS=$R/$1.phases dotnet engine.bench/bin/Release/net10.0/LatticeKV.Bench.dll compare --engines $3 --num $4 --workloads $5 --cache-mb 512 --no-cold --dir /work/benchdata-mem/data-$1 --out $R/$1 2>&1 | while IFS= read -r line; do echo "$(date +%s.%N | cut -c1-14) $line"; done > $R/$1.log &
  sleep 1
  pid=$(pgrep -n -f "LatticeKV.Bench.dll compare.*data-$1 ")
  nice -n -15 python3 /work/benchdata-mem/sampler.py $pid $R/$1.rss &
  wait
  rm -rf /work/benchdata-mem/data-$1
  echo "== $1 end $(date -u +%H:%M:%S) load: $(uptime | sed 's/.*load average: //')" >> $R/log.txt
  grep "^| fill\|^| over" $R/$1/results.md >> $R/log.txt
}
B=/work/wt-mem-base; N=/work/wt-mem
run 10m-base-3 $B latticekv 10000000 fillrandom
run 10m-new-3 $N latticekv 10000000 fillrandom
echo DONE >> $R/log.txt
