#!/bin/sh
# run.sh: the main job. Installs what is needed, builds in release mode,
# starts nlogd (the log server, with its SQLite store in build/demo/) on
# 127.0.0.1:${NLOGD_PORT:-8000}, runs the demo producer (examples/04_server_demo.c),
# which logs a web shop's traffic through the library's remote output — API
# requests, database timings, logins with a brute-force burst, metrics,
# errors, audit records — and prints URLs to try. nlogd keeps running until
# Ctrl-C (SIGINT/SIGTERM stop it cleanly); with NLOG_DEMO_EXIT=1 it is
# stopped right after the URLs are printed.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DNLOG_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)"
mkdir -p build/demo
cd build/demo
port=${NLOGD_PORT:-8000}
rm -f nlogd.port
../release/src/server/nlogd --listen "127.0.0.1:$port" --database demo.db \
  --port-file nlogd.port 2>nlogd.log &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' INT TERM EXIT
tries=0
while [ ! -s nlogd.port ]; do
  if ! kill -0 "$pid" 2>/dev/null || [ "$tries" -ge 100 ]; then
    echo "run.sh: nlogd did not start:" >&2
    cat nlogd.log >&2
    exit 1
  fi
  tries=$((tries + 1))
  sleep 0.1
done
url="http://127.0.0.1:$(cat nlogd.port)"
../release/examples/04_server_demo "$url" 5000
cat <<MSG

nlogd is running at $url (store: build/demo/demo.db, log: build/demo/nlogd.log).
Open $url/ in a browser for the live page, then produce more traffic to watch it arrive:
  build/release/examples/04_server_demo $url 5000
Try:
  curl '$url/api/v2/logs/entries?level=ERROR&limit=5'
  curl '$url/api/v2/logs/entries?search_query=slow+query&limit=3'
  curl '$url/api/v2/logs/security/events?severity=HIGH'
  curl '$url/api/v2/logs/performance/metrics?metric_names=response_time,cpu_usage&max_points=20'
  curl '$url/api/v2/logs/stats'
  curl -X POST -d '{"format":"csv","level":"WARNING"}' '$url/api/v2/logs/export' -o warnings.csv
  curl '$url/metrics'
  build/release/tools/nlog/nlog query --server $url --level warning --limit 10
  build/release/tools/nlog/nlog stats --server $url
MSG
if [ "${NLOG_DEMO_EXIT:-0}" = 1 ]; then
  exit 0
fi
echo "Press Ctrl-C to stop nlogd."
wait "$pid"
