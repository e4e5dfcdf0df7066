#!/bin/sh
# run_perf_example.sh EXE WORKDIR: runs examples/04_performance.c and checks
# what it promises: the alert fires and resolves through its callback, the
# query sees every timed call, the Prometheus lines come out, and the
# records of category "performance" are in netlink.log as whole JSON lines.
set -eu
exe=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
cd "$work"
env -u NETLINK_LOG_DIRECTORY -u NETLINK_LOG_CONFIG -u NETLINK_LOG_PROFILE "$exe" logs >stdout.txt 2>stderr.txt
grep -q '^alert FIRING: response_time = 2.5 seconds$' stdout.txt
grep -q '^alert resolved: response_time = 0.1 seconds$' stdout.txt
grep -q '^user_authentication: 10 calls, mean ' stdout.txt
grep -q '^# TYPE ' stdout.txt
grep -q 'logs/netlink.log' stdout.txt
log=logs/netlink.log
test "$(grep -c '"category":"performance"' "$log")" -ge 36
grep -q '"message":"database_query took [0-9.e+-]* ms".*"context":{"table":"users"}' "$log"
grep -q '"performance_data":{"active_users":1250}' "$log"
grep -q '"context":{"endpoint":"/api/users"},"metadata":{"metric":"response_size","type":"value","unit":"bytes"},"performance_data":{"response_size":2048}' "$log"
test "$(grep -c '"module":"performance".*"metric":"user_authentication"' "$log")" -eq 10
grep -q '"level":"WARNING".*"message":"alert .response_time > 2. firing' "$log"
grep -q '"level":"INFO".*"message":"alert .response_time > 2. resolved' "$log"
# every line is one whole JSON object
awk '!/^\{.*\}$/ { bad = 1 } END { exit bad }' "$log"
test ! -s stderr.txt
echo "perf example: ok"
