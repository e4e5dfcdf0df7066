#!/bin/sh
# cli_security.sh NLOG EXAMPLE PART: the security subcommands end to end.
#   keygen   nlog keygen --encryption: files, modes, refusing to overwrite, usage
#   decrypt  nlog decrypt --key over a log written by examples/05_security with
#            encrypt_fields: plaintext back, wrong key and tampering fail cleanly
#   replay   nlog security replay prints what the live run detected; usage errors
set -eu
nlog=$1
example=$2
part=$3
work=${NLOG_TEST_TMP:-/tmp/nlog-cli-security}/$part
rm -rf "$work"
mkdir -p "$work"
cd "$work"

fail() { echo "cli_security $part: $*" >&2; exit 1; }
expect_rc() { # expect_rc RC CMD...: runs CMD, checks its exit status
  want=$1; shift
  set +e; "$@" >out.txt 2>err.txt; rc=$?; set -e
  [ "$rc" -eq "$want" ] || { cat err.txt >&2; fail "'$*' exited $rc, want $want"; }
}

case $part in
keygen)
  expect_rc 0 "$nlog" keygen --encryption keys
  grep -q "encryption_public_key: " out.txt || fail "no public key printed"
  [ "$(stat -c %a keys/encryption.key)" = 600 ] || fail "secret key mode $(stat -c %a keys/encryption.key)"
  [ "$(stat -c %a keys/encryption.pub)" = 644 ] || fail "public key mode"
  [ "$(wc -c < keys/encryption.pub)" -eq 45 ] || fail "public key is not 44 base64 characters"
  cp keys/encryption.key before.key
  expect_rc 1 "$nlog" keygen --encryption keys
  grep -q "use --force" err.txt || fail "no hint about --force"
  cmp -s keys/encryption.key before.key || fail "an existing key was overwritten"
  expect_rc 0 "$nlog" keygen --encryption keys --force
  cmp -s keys/encryption.key before.key && fail "--force did not replace the key"
  expect_rc 2 "$nlog" keygen
  expect_rc 2 "$nlog" keygen --encryption
  expect_rc 2 "$nlog" keygen --bogus x
  expect_rc 2 "$nlog" keygen --encryption keys --sealing other
  grep -q "give one of" err.txt || fail "--encryption with --sealing message"
  ;;
decrypt)
  "$nlog" keygen --encryption keys >/dev/null
  "$nlog" keygen --encryption other >/dev/null
  NETLINK_LOG_ENCRYPT_FIELDS=user_id,reason \
  NETLINK_LOG_ENCRYPTION_PUBLIC_KEY="$(cat keys/encryption.pub)" \
  NETLINK_LOG_CONSOLE_ENABLED=false "$example" >/dev/null
  grep -q '"user_id":"user123"' logs/security.log && fail "user_id written in clear"
  grep -q '"user_id":"enc1:' logs/security.log || fail "user_id not encrypted"
  expect_rc 0 "$nlog" decrypt --key keys/encryption.key logs/security.log
  [ "$(wc -l < out.txt)" -eq "$(wc -l < logs/security.log)" ] || fail "line count changed"
  grep -q '"user_id":"user123"' out.txt || fail "user_id not restored"
  grep -q '"reason":"invalid_password"' out.txt || fail "reason not restored"
  grep -q 'nlog_encryption' out.txt && fail "the marker was left in"
  grep -q 'enc1:' out.txt && fail "a value was left encrypted"
  # standard input gives the same
  "$nlog" decrypt --key keys/encryption.key < logs/security.log > stdin.txt
  cmp -s out.txt stdin.txt || fail "stdin and file differ"
  # the wrong key: every line reported, copied unchanged, exit 1
  expect_rc 1 "$nlog" decrypt --key other/encryption.key logs/security.log
  grep -q "wrong key" err.txt || fail "no 'wrong key' message"
  cmp -s out.txt logs/security.log || fail "lines not copied unchanged"
  # a value moved from one record to another
  a=$(sed -n 1p logs/security.log | sed 's/.*"user_id":"\(enc1:[^"]*\)".*/\1/')
  sed -n 2p logs/security.log | sed "s|\"user_id\":\"enc1:[^\"]*\"|\"user_id\":\"$a\"|" > swapped.log
  expect_rc 1 "$nlog" decrypt --key keys/encryption.key swapped.log
  grep -q "swapped.log:1: context.user_id: authentication failed" err.txt || fail "swap not caught"
  # not JSON
  printf '{"metadata":{"nlog_encryption":"x"}\n' > broken.log
  expect_rc 1 "$nlog" decrypt --key keys/encryption.key broken.log
  grep -q "not a JSON object" err.txt || fail "broken line not reported"
  expect_rc 2 "$nlog" decrypt logs/security.log
  expect_rc 1 "$nlog" decrypt --key missing.key logs/security.log
  printf 'garbage\n' > bad.key
  expect_rc 1 "$nlog" decrypt --key bad.key logs/security.log
  grep -q "not a secret key" err.txt || fail "bad key not explained"
  ;;
replay)
  NETLINK_LOG_CONSOLE_ENABLED=false "$example" > example.txt
  grep '^detection: ' example.txt | sed 's/^detection: //' > live.txt
  [ -s live.txt ] || fail "the example detected nothing"
  expect_rc 0 "$nlog" security replay logs/security.log
  cmp -s out.txt live.txt || { diff out.txt live.txt >&2 || true; fail "replay differs from live"; }
  grep -q "replay: 5 events, 1 detections" err.txt || fail "no summary"
  expect_rc 0 "$nlog" security replay --recorded logs/netlink.log
  cmp -s out.txt live.txt || fail "--recorded differs from live"
  expect_rc 2 "$nlog" security
  expect_rc 2 "$nlog" security replay
  expect_rc 2 "$nlog" security frobnicate
  expect_rc 1 "$nlog" security replay missing.log
  printf 'level: LOUD\n' > bad.yaml
  expect_rc 1 "$nlog" security replay --config bad.yaml logs/security.log
  grep -q "bad.yaml:1:8: level: unknown level" err.txt || fail "config error not shown"
  ;;
*)
  fail "unknown part"
  ;;
esac
echo "cli_security $part: ok"
