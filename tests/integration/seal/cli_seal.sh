#!/bin/sh
# cli_seal.sh NLOG EXAMPLE: end-to-end tests of `nlog keygen --sealing` and
# `nlog verify`, with the logs written by examples/06_sealed.c.
# Checks exit codes (verify: 0 verified, 1 failed, 2 usage, 3 cannot
# verify), the text and --json reports, exported checkpoints, and that the
# progress bar appears only on a terminal. Scratch files go to
# $NLOG_TEST_TMP. Prints each failure and exits 1 if there was any.
set -u

nlog=$1
example=$2
tmp=${NLOG_TEST_TMP:-/tmp/nlog-cli-seal-$$}
rm -rf "$tmp"
mkdir -p "$tmp"
failures=0
for var in $(env | sed -n 's/^\(NETLINK_LOG_[A-Za-z0-9_]*\)=.*/\1/p'); do
    unset "$var"
done

fail() {
    echo "FAIL: $*"
    echo "--- stdout:"; cat "$tmp/out"
    echo "--- stderr:"; cat "$tmp/err"
    echo "---"
    failures=$((failures + 1))
}
run() {
    want=$1
    shift
    last="$*"
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    [ "$got" -eq "$want" ] || fail "$last: exit status $got, expected $want"
}
has_out() { grep -F -e "$1" "$tmp/out" >/dev/null || fail "$last: stdout lacks: $1"; }
has_err() { grep -F -e "$1" "$tmp/err" >/dev/null || fail "$last: stderr lacks: $1"; }
no_err() { [ ! -s "$tmp/err" ] || fail "$last: stderr should be empty"; }

keys=$tmp/keys
logs=$tmp/logs

# keygen
run 0 "$nlog" keygen --sealing "$keys"
has_out "master.key"
has_out "host/security.log.seal"
[ "$(stat -c %a "$keys/master.key")" = 600 ] || fail "master.key is not mode 0600"
[ "$(stat -c %a "$keys/host/netlink.log.seal")" = 600 ] || fail "host state is not mode 0600"
run 1 "$nlog" keygen --sealing "$keys"          # existing host states are never overwritten
has_err "already exists"
run 0 "$nlog" keygen --sealing "$keys" --stream app.log   # same master, one more state
[ -f "$keys/host/app.log.seal" ] || fail "no host/app.log.seal"
run 2 "$nlog" keygen
run 2 "$nlog" keygen --sealing
run 1 "$nlog" keygen --sealing "$tmp/k3" --stream ../escape
has_err "not a log file name"

# a sealed log, written by the example (which also verifies it)
mkdir -p "$logs/.seal"
cp "$keys/host/netlink.log.seal" "$keys/host/security.log.seal" "$keys/host/audit.log.seal" \
    "$logs/.seal/"
run 0 "$example" "$logs" "$keys/seal.pub"
has_out "netlink.log: verified"
has_out "security.log: verified"

# verify: OK, and the report. The counts come from the files: the library
# adds records of its own (audit records at start and stop).
nrec() { grep -c '"seal":[0-9]*}$' "$1"; }
n_net=$(nrec "$logs/netlink.log")
n_audit=$(nrec "$logs/audit.log")
run 0 "$nlog" verify --key "$keys/seal.pub" "$logs"
has_out "netlink.log: OK: 1 file, $n_net records, sealed 1..$n_net"
has_out "0 trailing records"
no_err
run 0 "$nlog" verify --key "$keys/seal.pub" --json "$logs/audit.log"
has_out '"ok":true'
has_out '"name":"audit.log"'
if command -v jq >/dev/null 2>&1; then
    jq -e --argjson n "$n_audit" '.logs[0].sealed.last == $n and .logs[0].trailing == 0' \
        "$tmp/out" >/dev/null ||
        fail "--json: unexpected content"
fi

# export now, tamper, verify again
run 0 "$nlog" verify --key "$keys/seal.pub" --export-checkpoint "$tmp/ckpt" "$logs/netlink.log"
has_out "exported the last checkpoint"
[ -s "$tmp/ckpt" ] || fail "no exported checkpoint"
run 0 "$nlog" verify --key "$keys/seal.pub" --against "$tmp/ckpt" "$logs/netlink.log"
has_out "extends the exported checkpoint"
cp "$logs/netlink.log" "$tmp/netlink.orig"
bad=$(sed -n 's/.*"attempt":3}.*"seal":\([0-9]*\)}$/\1/p' "$tmp/netlink.orig")
[ -n "$bad" ] || fail "no record with attempt 3 in netlink.log"
sed 's/"attempt":3}/"attempt":4}/' "$tmp/netlink.orig" >"$logs/netlink.log"
run 1 "$nlog" verify --key "$keys/seal.pub" "$logs/netlink.log"
has_out "netlink.log: FAIL: MAC_MISMATCH at seq $bad, byte "
run 1 "$nlog" verify --key "$keys/seal.pub" --json "$logs/netlink.log"
has_out "\"kind\":\"MAC_MISMATCH\",\"seq\":$bad"
run 1 "$nlog" verify --key "$keys/seal.pub" --export-checkpoint "$tmp/none" "$logs/netlink.log"
has_err "no checkpoint exported"
[ ! -e "$tmp/none" ] || fail "a checkpoint was exported from a log that failed"
# export from a directory where one log has no checkpoint yet: skipped, said so, exit 0
mkdir -p "$tmp/exp1" "$tmp/exp2"
cp "$tmp/netlink.orig" "$tmp/exp1/netlink.log"
head -n 2 "$logs/audit.log" >"$tmp/exp1/audit.log"   # its anchor and first record only
run 0 "$nlog" verify --key "$keys/seal.pub" --export-checkpoint "$tmp/e1" "$tmp/exp1"
has_out "exported the last checkpoint of netlink.log to $tmp/e1.netlink.log"
has_err "audit.log"
has_err "nothing exported for this log"
[ -s "$tmp/e1.netlink.log" ] || fail "no export for netlink.log"
[ ! -e "$tmp/e1.audit.log" ] || fail "an export for a log without a checkpoint"
run 0 "$nlog" verify --key "$keys/seal.pub" --against "$tmp/e1.netlink.log" "$tmp/exp1/netlink.log"
# several directories: the log names hold a '/', the export names do not
cp "$tmp/netlink.orig" "$tmp/exp2/netlink.log"
run 0 "$nlog" verify --key "$keys/seal.pub" --export-checkpoint "$tmp/e2" "$tmp/exp1" "$tmp/exp2"
n_e2=$(find "$tmp" -maxdepth 1 -name 'e2.*netlink.log' -type f | wc -l)
[ "$n_e2" -eq 2 ] || fail "want 2 exports e2.*netlink.log in $tmp, found $n_e2"
[ -z "$(find "$tmp" -mindepth 2 -name 'netlink.log' -newer "$tmp/e1.netlink.log" -path '*e2*')" ] ||
    fail "an export went into a subdirectory"
# a real write error is exit 3
run 3 "$nlog" verify --key "$keys/seal.pub" --export-checkpoint "$tmp/no/such/dir/f" \
    "$tmp/exp1/netlink.log"
has_err "cannot write"

# truncated into the sealed part, against the exported checkpoint
head -c 1500 "$tmp/netlink.orig" >"$logs/netlink.log"
run 1 "$nlog" verify --key "$keys/seal.pub" --against "$tmp/ckpt" "$logs/netlink.log"
has_out "TRUNCATED"
run 0 "$nlog" verify --key "$keys/seal.pub" "$logs/netlink.log"   # alone: an unprotected tail
has_out "trailing"
cp "$tmp/netlink.orig" "$logs/netlink.log"

# another host's key
run 0 "$nlog" keygen --sealing "$tmp/other"
run 1 "$nlog" verify --key "$tmp/other/seal.pub" "$logs/netlink.log"
has_out "FAIL: CHECKPOINT_SIG at seq 1"
run 0 "$nlog" verify --key "$tmp/other/seal.pub" --key "$keys/seal.pub" "$logs/netlink.log"

# usage errors and unreadable input
run 2 "$nlog" verify "$logs"
has_err "--key PUB is needed"
run 2 "$nlog" verify --key "$keys/seal.pub"
run 2 "$nlog" verify --key "$keys/seal.pub" --bogus "$logs"
run 2 "$nlog" verify --key "$keys/seal.pub" --max-problems 0 "$logs"
run 3 "$nlog" verify --key "$keys/seal.pub" "$tmp/does-not-exist"
has_err "does-not-exist"
run 3 "$nlog" verify --key "$keys/master.key" "$logs"
has_err "nlog-seal-public-key"
run 3 "$nlog" verify --key "$keys/seal.pub" --against "$logs/netlink.log" "$logs"
run 0 "$nlog" verify --help
has_out "Exit status"

# the progress bar: never on a pipe (above: stderr stayed empty), on a terminal yes
if command -v script >/dev/null 2>&1; then
    script -qec "$nlog verify --key $keys/seal.pub $logs" /dev/null >"$tmp/out" 2>&1 ||
        fail "verify under a terminal"
    last="verify on a terminal"
    has_out "100%"
fi

[ "$failures" -eq 0 ] && echo "cli_seal: all checks passed"
[ "$failures" -eq 0 ]
