#!/bin/sh
# bench-perf.sh [nlog_bench_perf options]: builds and runs the performance
# monitoring benchmark (bench/perf): the calling thread's cost of recording
# a sample and of a timer, next to a clock read, an atomic add and
# prometheus-cpp, measured in the same run. Prints Markdown (a line about
# the machine, then the table); takes about half a minute.
#
#   sh scripts/bench-perf.sh                 the default run (9 repetitions)
#   sh scripts/bench-perf.sh --reps 3        quicker, rougher
#
# The instructions per call come from one callgrind run of every loop (5000
# calls each, counted on the calling thread only, loop included): they do
# not depend on what else the machine is doing, the times do.
#
# Installs the peers first (scripts/install-deps.sh bench), then configures
# a Release build in build/bench-perf with only this benchmark on. The
# result is also kept in build/bench-perf/bench-perf-result.md.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh bench >&2
cmake -S . -B build/bench-perf -DCMAKE_BUILD_TYPE=Release -DNLOG_BUILD_PERF_BENCH=ON \
  -DNLOG_BUILD_TESTS=OFF -DNLOG_BUILD_EXAMPLES=OFF -DNLOG_BUILD_TOOLS=OFF >&2
cmake --build build/bench-perf -j "$(nproc)" --target nlog_bench_perf >&2

version() {
  dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"
}
bin=build/bench-perf/bench/perf/nlog_bench_perf
counts=build/bench-perf/cg-counts.txt
calls=5000
valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file=build/bench-perf/cg.out \
  --toggle-collect='loop_*' --toggle-collect='peer_prom_*' "$bin" --cg "$calls" >&2 2>/dev/null
# the calling thread's file is the one whose counts include the loops
cg=$(grep -l 'fn=.*loop_record_tags' build/bench-perf/cg.out-* | head -n 1)
callgrind_annotate --inclusive=yes --threshold=100 "$cg" 2>/dev/null |
  sed -n 's/^ *\([0-9,]*\) .*[: ]\(loop_[a-z_]*\|peer_prom_[a-z_]*\).*/\2 \1/p' | tr -d , |
  awk '!seen[$1]++' >"$counts"
rm -f build/bench-perf/cg.out*

result=build/bench-perf/bench-perf-result.md
{
  model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
  clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null ||
                echo unknown)
  echo "**Machine.** $model, $(nproc) cores; Linux $(uname -r) (clock source $clocksource);" \
       "$(${CC:-cc} --version | head -n 1), Release (-O3); prometheus-cpp-dev" \
       "$(version prometheus-cpp-dev). Measured $(date -u '+%Y-%m-%d %H:%M') UTC."
  echo
  "$bin" --cg-table "$counts" "$calls" "$@"
} >"$result.tmp"
mv "$result.tmp" "$result"
cat "$result"
