#!/bin/sh
# bench_server.sh [--update-doc] [nlogd_bench options]: builds nlogd and its
# benchmark (bench/server/nlogd_bench.c) in release mode and runs it: ingest
# records/s over HTTP from one and two clients next to a bare SQLite peer,
# then query latency (filtered list, text search, stats) on a store of
# 10,000,000 records. Prints Markdown (also kept in build/bench-server/result.md);
# with --update-doc it replaces the part of docs/PERFORMANCE.md between
# <!-- bench-server:begin --> and <!-- bench-server:end -->.
#
#   sh scripts/bench_server.sh                       about 20 minutes on 2 cores
#   sh scripts/bench_server.sh --records 200000 --store 1000000    a quick look
#
# The 10M-record store is kept in build/bench-server/run/store.db and reused
# by later runs (delete it to rebuild). Other load on the machine lowers every
# figure; the script prints the load average before and after.
set -eu
cd "$(dirname "$0")/.."
update_doc=0
if [ "${1:-}" = --update-doc ]; then
  update_doc=1
  shift
fi
sh scripts/install-deps.sh >&2
cflags=
case "$(${CC:-cc} --version 2>/dev/null | head -n 1)" in
  *clang*) ;;
  *) cflags=-Wno-error=maybe-uninitialized ;;
esac
cmake -S . -B build/bench-server -DCMAKE_BUILD_TYPE=Release -DNLOG_BUILD_BENCH_SERVER=ON \
  -DNLOG_BUILD_TESTS=OFF -DNLOG_BUILD_EXAMPLES=OFF "-DCMAKE_C_FLAGS=$cflags" >&2
cmake --build build/bench-server -j "$(nproc)" --target nlogd nlogd_bench >&2
mkdir -p build/bench-server/run
result=build/bench-server/result.md
{
  model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
  echo "**Machine.** $model, $(nproc) cores; $(. /etc/os-release && echo "$PRETTY_NAME");" \
       "SQLite $(dpkg-query -W -f='${Version}' libsqlite3-0 2>/dev/null)," \
       "CivetWeb $(dpkg-query -W -f='${Version}' libcivetweb1 2>/dev/null)," \
       "json-c $(dpkg-query -W -f='${Version}' libjson-c5 2>/dev/null); Release build." \
       "Load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo
  build/bench-server/bench/server/nlogd_bench --nlogd build/bench-server/src/server/nlogd \
    --dir build/bench-server/run "$@"
  echo
  echo "Load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)."
} >"$result.tmp"
mv "$result.tmp" "$result"
cat "$result"
if [ "$update_doc" = 1 ]; then
  doc=docs/PERFORMANCE.md
  awk -v result="$result" '
    $0 == "<!-- bench-server:begin -->" {
      print
      while ((getline line < result) > 0)
        print line
      skip = 1
      next
    }
    $0 == "<!-- bench-server:end -->" { skip = 0 }
    !skip { print }
  ' "$doc" >"$doc.tmp"
  mv "$doc.tmp" "$doc"
  echo "bench_server.sh: updated $doc" >&2
fi
