#!/bin/sh
# bench_seal.sh [nlog_seal_bench options]: builds (Release) and runs the
# sealing benchmark (bench/seal, issue 4) and prints its Markdown result:
# what sealing costs the writer and how fast verification is, each next to
# the same work unsealed / the hashing floor measured in the same run.
#   sh scripts/bench_seal.sh                      200000 records, 5 runs (about 1 minute)
#   sh scripts/bench_seal.sh --records 50000 --repeat 3
# The result is also kept in build/bench-seal/result.md.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh >&2
cmake -S . -B build/bench-seal -DCMAKE_BUILD_TYPE=Release -DNLOG_BUILD_SEAL_BENCH=ON \
  -DNLOG_BUILD_TESTS=OFF -DNLOG_BUILD_EXAMPLES=OFF -DNLOG_BUILD_TOOLS=OFF >&2
cmake --build build/bench-seal -j "$(nproc)" --target nlog_seal_bench >&2
build/bench-seal/bench/seal/nlog_seal_bench "$@" | tee build/bench-seal/result.md
