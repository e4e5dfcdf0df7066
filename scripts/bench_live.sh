#!/bin/sh
# bench_live.sh [--update-doc] [bench_fanout options]: the live stream's
# fan-out, measured. Builds nlogd and bench/live/bench_fanout.c in release
# mode, starts nlogd on 127.0.0.1 (a free port, a fresh store in
# build/bench-live/run, server.num_threads 128 and server.stream_max_clients
# 110: CivetWeb holds one worker thread per stream client), runs the harness
# (default: 100 clients subscribed to everything, 600 records/s stored by 4
# producers posting every 10 ms, 3 s warm-up, 20 s counted), stops nlogd by
# PID. Prints Markdown (kept in build/bench-live/result.md); with --update-doc
# it replaces the part of docs/PERFORMANCE.md between
# <!-- bench-live:begin --> and <!-- bench-live:end -->.
#
#   sh scripts/bench_live.sh                          about 1 minute
#   sh scripts/bench_live.sh --rate 1200 --seconds 30  more load
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
cmake -S . -B build/bench-live -DCMAKE_BUILD_TYPE=Release -DNLOG_BUILD_BENCH_SERVER=ON \
  -DNLOG_BUILD_TESTS=OFF -DNLOG_BUILD_EXAMPLES=OFF "-DCMAKE_C_FLAGS=$cflags" >&2
cmake --build build/bench-live -j "$(nproc)" --target nlogd nlogd_ssl_compat bench_fanout >&2
run=build/bench-live/run
rm -rf "$run"
mkdir -p "$run"
NETLINK_LOG_SERVER_NUM_THREADS=128 NETLINK_LOG_SERVER_STREAM_MAX_CLIENTS=110 \
  build/bench-live/src/server/nlogd --listen 127.0.0.1:0 --database "$run/bench.db" \
  --port-file "$run/port" >"$run/nlogd.log" 2>&1 &
nlogd_pid=$!
trap 'kill "$nlogd_pid" 2>/dev/null || true' EXIT
i=0
while [ ! -s "$run/port" ]; do
  i=$((i + 1))
  if [ "$i" -gt 300 ] || ! kill -0 "$nlogd_pid" 2>/dev/null; then
    cat "$run/nlogd.log" >&2
    exit 1
  fi
  sleep 0.1 # polling for the port file, bounded (30 s)
done
port=$(cat "$run/port")
result=build/bench-live/result.md
{
  model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
  echo "**Machine.** $model, $(nproc) cores; $(. /etc/os-release && echo "$PRETTY_NAME");" \
       "CivetWeb $(dpkg-query -W -f='${Version}' libcivetweb1 2>/dev/null); Release build;" \
       "nlogd, the producers and the 100 clients share the machine." \
       "Load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  build/bench-live/bench/live/bench_fanout --port "$port" --pid "$nlogd_pid" "$@" | tee "$run/raw.txt" | grep '^|'
  echo
  echo "Raw: \`$(grep '^{' "$run/raw.txt")\`"
} >"$result"
kill "$nlogd_pid"
wait "$nlogd_pid" || true
trap - EXIT
cat "$result"
if [ "$update_doc" = 1 ]; then
  python3 - "$result" <<'PY'
import sys
doc = "docs/PERFORMANCE.md"
text = open(doc).read()
new = open(sys.argv[1]).read().strip()
a, b = "<!-- bench-live:begin -->", "<!-- bench-live:end -->"
if a in text and b in text:
    head, rest = text.split(a, 1)
    _, tail = rest.split(b, 1)
    open(doc, "w").write(head + a + "\n" + new + "\n" + b + tail)
else:
    print("docs/PERFORMANCE.md has no bench-live markers", file=sys.stderr)
    sys.exit(1)
PY
fi
