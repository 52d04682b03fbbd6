#!/bin/bash
set -u
R=/work/benchdata-mem2/m
run() { # name dir engines args...
  local name=$1 dir=$2 engines=$3; shift 3
  echo "== $name start $(date -u +%H:%M:%S) load: $(uptime | sed 's/.*load average: //')" >> $R/log.txt
  cd $dir
  LKV_PHASEPEAKS=$R/$name.phases dotnet engine.bench/bin/Release/net10.0/LatticeKV.Bench.dll compare --engines $engines "$@" --no-cold --dir /work/benchdata-mem2/data-$name --out $R/$name > $R/$name.log 2>&1
  rm -rf /work/benchdata-mem2/data-$name
  echo "== $name end $(date -u +%H:%M:%S) load: $(uptime | sed 's/.*load average: //')" >> $R/log.txt
  grep "^| fill\|^| over" $R/$name/results.md >> $R/log.txt
}
B=/work/wt-mem2-base; N=/work/wt-mem2
F10="--num 10000000 --workloads fillrandom --cache-mb 512"
O10="--num 10000000 --workloads overwrite --cache-mb 512"
F1="--num 1000000 --workloads fillrandom --write-rounds 5"
run 10m-1-base $B latticekv $F10
run 10m-2-new $N latticekv $F10
run 10m-3-new $N latticekv $F10
run 10m-4-base $B latticekv $F10
run ow-1-base $B latticekv $O10
run ow-2-new $N latticekv $O10
run 1m-1-base $B latticekv $F1
run 1m-2-new $N latticekv $F1
echo SIDE-BY-SIDE-DONE >> $R/log.txt
run 10m-rocks-new $N latticekv,rocksdb $F10
echo DONE >> $R/log.txt
#!/bin/bash
set -u
R=/work/benchdata-mem2/m
run() { # name dir engines args...
  local name=$1 dir=$2 engines=$3; shift 3
  echo "== $name start $(date -u +%H:%M:%S) load: $(uptime | sed 's/.*load average: //')" >> $R/log.txt
  cd $dir
  LKV_PHASEPEAKS=$R/$name.phases dotnet engine.bench/bin/Release/net10.0/LatticeKV.Bench.dll compare --engines $engines "$@" --no-cold --dir /work/benchdata-mem2/data-$name --out $R/$name > $R/$name.log 2>&1
  rm -rf /work/benchdata-mem2/data-$name
  echo "== $name end $(date -u +%H:%M:%S) load: $(uptime | sed 's/.*load average: //')" >> $R/log.txt
  grep "^| fill\|^| over" $R/$name/results.md >> $R/log.txt
}
B=/work/wt-mem2-base; N=/work/wt-mem2
F1="--num 1000000 --workloads fillrandom --write-rounds 5"
run 1m-3-new $N latticekv $F1
run 1m-4-base $B latticekv $F1
run 1m-5-base $B latticekv $F1
run 1m-6-new $N latticekv $F1
echo DONE2 >> $R/log.txt
