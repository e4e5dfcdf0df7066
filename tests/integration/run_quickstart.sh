#!/bin/sh
# run_quickstart.sh EXE WORKDIR: runs the quick-start example the way the
# README's run command does and checks what it promises.
set -eu
exe=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
cd "$work"
env -u NETLINK_LOG_DIRECTORY -u NETLINK_LOG_CONFIG -u NETLINK_LOG_PROFILE "$exe" >stdout.txt 2>stderr.txt
grep -q "logs/netlink.log" stdout.txt
# console: every non-trace level, in the product's format
for level in "DEBUG   " "INFO    " "WARNING " "ERROR   " "CRITICAL" "SECURITY" "AUDIT   "; do
  grep -q "\[$level\] " stderr.txt || { echo "no $level line on the console" >&2; exit 1; }
done
grep -q "user_id=user123" stderr.txt
# files: whole JSON lines, the right counts
# (10 records of the example, plus the audit trail's logging.start and
# logging.stop, which go to netlink.log and audit.log)
test "$(wc -l < logs/netlink.log)" -eq 12
test "$(wc -l < logs/security.log)" -eq 2
test "$(wc -l < logs/audit.log)" -eq 3
grep -q '"action":"logging.start"' logs/audit.log
grep -q '"action":"logging.stop"' logs/audit.log
grep -q '"category":"security"' logs/netlink.log
grep -q '"context":{"user_id":"user123","ip_address":"192.168.1.100"}' logs/netlink.log
echo "quickstart: ok"
