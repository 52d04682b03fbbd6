#!/bin/sh
# The measured series: LatticeKV alone, base and new alternated, then both engines on the new build.
# base: /tmp/base85-bin (main 73657fe plus the bench sampler, off); new: /tmp/new85a-bin (wt-rww).
d=engine.bench/results/run85-rww
$d/run85.sh base-a /tmp/base85-bin latticekv
$d/run85.sh new-a /tmp/new85a-bin latticekv
$d/run85.sh new-b /tmp/new85a-bin latticekv
$d/run85.sh base-b /tmp/base85-bin latticekv
$d/run85.sh both-new /tmp/new85a-bin latticekv,rocksdb
