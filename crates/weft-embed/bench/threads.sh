#!/usr/bin/env bash
# The figures of docs/BENCHMARKS.md "Embeddings": the speed example in three configurations
# (the default 1-thread pool; 1 thread with candle's own threads at 1 too; a 2-thread pool),
# in turn, three rounds, with the 1-minute load before each round. Build first:
#   cargo build --release -p weft-embed --example speed
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
speed=target/release/examples/speed
figures() { grep -E "query emb|passage emb|batches"; }
for round in 1 2 3; do
    echo "== round $round, load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "-- load (1 thread), env unset"
    env -u RAYON_NUM_THREADS -u CANDLE_NUM_THREADS "$speed" 1 | figures
    echo "-- 1 thread, RAYON_NUM_THREADS=1 CANDLE_NUM_THREADS=1"
    RAYON_NUM_THREADS=1 CANDLE_NUM_THREADS=1 "$speed" 1 | figures
    echo "-- load_with_threads(2), env unset"
    env -u RAYON_NUM_THREADS -u CANDLE_NUM_THREADS "$speed" 2 | figures
done
