#!/bin/sh
# cli_config.sh NLOG DATA_DIR PART: end-to-end tests of `nlog config`.
#   NLOG      the built nlog binary
#   DATA_DIR  this directory (the YAML files used below)
#   PART      validate | show | usage
# Checks exit codes (0 ok, 1 invalid configuration, 2 usage) and output.
# Runs with every NETLINK_LOG_* variable removed; scratch files go to
# $NLOG_TEST_TMP. Prints each failure and exits 1 if there was any.
set -u

nlog=$1
data=$2
part=$3
tmp=${NLOG_TEST_TMP:-/tmp/nlog-cli-config-$$}
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

# run RC COMMAND...: runs COMMAND, keeps its output, checks its exit status.
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
no_out() { [ ! -s "$tmp/out" ] || fail "$last: stdout should be empty"; }
no_err() { [ ! -s "$tmp/err" ] || fail "$last: stderr should be empty"; }
err_lines() {
    n=$(wc -l <"$tmp/err")
    [ "$n" -eq "$1" ] || fail "$last: $n lines on stderr, expected $1"
}

# row KEY VALUE SOURCE: `show` printed KEY with VALUE from SOURCE.
row() {
    awk -v k="$1" -v v="$2" -v s="$3" '
        $1 == k { line = $0; found = 1 }
        END {
            if (!found) exit 1
            sub(/^[^ ]+ +/, "", line)          # drop the key column
            val = line; sub(/  +.*$/, "", val)  # value: up to the column gap
            src = line; sub(/^[^ ]+ +/, "", src)
            exit !(val == v && src == s)
        }' "$tmp/out" || fail "$last: expected row '$1' = '$2' from '$3'"
}

# The SOURCE column starts at the same offset on every line.
aligned() {
    awk 'NR == 1 { p = index($0, "SOURCE"); next }
         substr($0, p - 2, 2) != "  " || substr($0, p, 1) == " " { bad = 1 }
         END { exit bad || p == 0 }' "$tmp/out" || fail "$last: columns are not aligned"
}

test_validate() {
    run 0 "$nlog" config validate "$data/good.yaml"
    [ "$(cat "$tmp/out")" = "ok" ] || fail "$last: stdout is not exactly 'ok'"
    no_err

    run 0 "$nlog" config validate "$data/empty.yaml"
    has_out "ok"

    run 1 "$nlog" config validate "$data/bad_level.yaml"
    no_out
    has_err "$data/bad_level.yaml:3:8: level: unknown level 'LOUD'; accepted: TRACE, DEBUG, INFO, WARNING (or WARN), ERROR, CRITICAL, SECURITY, AUDIT (any case)"
    err_lines 1

    run 1 "$nlog" config validate "$data/unknown_key.yaml"
    has_err "$data/unknown_key.yaml:5:1: unknown key 'console_colours'; did you mean 'console_colors'? accepted keys: directory, level,"

    run 1 "$nlog" config validate "$data/syntax_error.yaml"
    has_err "$data/syntax_error.yaml:3:1: invalid YAML: "

    run 1 "$nlog" config validate "$data/duplicate_key.yaml"
    has_err "$data/duplicate_key.yaml:3:1: duplicate key 'level' (first given on line 1)"

    run 1 "$nlog" config validate "$tmp/missing.yaml"
    has_err "$tmp/missing.yaml: cannot open the configuration file: No such file or directory"

    # validate reads only the file: the environment does not matter.
    run 0 env NETLINK_LOG_LEVEL=LOUD NETLINK_LOG_PROFILE=nope "$nlog" config validate "$data/good.yaml"
    no_err

    # The file size cap.
    head -c 1048577 /dev/zero | tr '\0' '#' >"$tmp/big.yaml"
    run 1 "$nlog" config validate "$tmp/big.yaml"
    has_err "the file is larger than 1048576 bytes (1 MiB)"
}

test_show() {
    run 0 "$nlog" config show
    no_err
    has_out "KEY"
    aligned
    row profile '""' default
    row config_file '""' default
    row level INFO default
    row directory logs default
    row console_stream stderr default
    row max_record_size 65536 default
    row alert_email '""' default

    run 0 "$nlog" config show --profile production
    aligned
    row profile production "option --profile"
    row console_enabled false "profile production"
    row alerts_enabled true "profile production"
    row level INFO "profile production"
    row directory logs default

    run 0 "$nlog" config show --profile=TESTING
    row file_enabled false "profile testing"
    row level WARNING "profile testing"

    run 0 "$nlog" config show --file "$data/good.yaml" --profile debug
    aligned
    row config_file "$data/good.yaml" "option --file"
    row level WARNING "file $data/good.yaml:3:8"
    row console_caller true "profile debug"
    row max_record_size 65536 "file $data/good.yaml:8:18"
    row loggers.noisy.lib ERROR "file $data/good.yaml:10:14"
    row loggers.db.pool DEBUG "file $data/good.yaml:11:12"

    # The environment: values, the profile and the file.
    run 0 env NETLINK_LOG_LEVEL=debug NETLINK_LOG_CONSOLE_COLORS=no "$nlog" config show
    row level DEBUG "environment NETLINK_LOG_LEVEL"
    row console_colors false "environment NETLINK_LOG_CONSOLE_COLORS"

    run 0 env NETLINK_LOG_PROFILE=development NETLINK_LOG_CONFIG="$data/good.yaml" "$nlog" config show
    row profile development "environment NETLINK_LOG_PROFILE"
    row config_file "$data/good.yaml" "environment NETLINK_LOG_CONFIG"
    row console_fields true "profile development"
    row level WARNING "file $data/good.yaml:3:8"

    # Options win over the variables.
    run 0 env NETLINK_LOG_PROFILE=development "$nlog" config show --profile production
    row profile production "option --profile"
    row console_enabled false "profile production"

    # A bad value in the environment: one diagnostic, the lower value kept.
    run 0 env NETLINK_LOG_LEVEL=LOUD "$nlog" config show --profile development
    row level DEBUG "profile development"
    has_err "NETLINK_LOG_LEVEL: unknown level 'LOUD'; accepted: TRACE,"
    has_err "using 'DEBUG' (profile development) instead"
    err_lines 1

    # Errors: unknown profile, bad file, missing file named by the variable.
    run 1 "$nlog" config show --profile staging
    no_out
    has_err "profile: unknown profile 'staging'; accepted: development, testing, production, debug (any case)"

    run 1 env NETLINK_LOG_PROFILE=staging "$nlog" config show
    has_err "NETLINK_LOG_PROFILE: unknown profile 'staging'"

    run 1 "$nlog" config show --file "$data/bad_level.yaml"
    has_err "$data/bad_level.yaml:3:8: level: unknown level 'LOUD'"

    run 1 env NETLINK_LOG_CONFIG="$tmp/missing.yaml" "$nlog" config show
    has_err "$tmp/missing.yaml: cannot open the configuration file"

    # JSON: the same settings as the table.
    run 0 "$nlog" config show --file "$data/good.yaml"
    rows=$(($(wc -l <"$tmp/out") - 1))
    run 0 "$nlog" config show --json --file "$data/good.yaml"
    no_err
    has_out '"level": {"value": "WARNING", "source": "file '"$data"'/good.yaml:3:8"}'
    has_out '"loggers.noisy.lib": {"value": "ERROR", "source": "file '"$data"'/good.yaml:10:14"}'
    has_out '"profile": {"value": "", "source": "default"}'
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["level"]["value"]=="WARNING"; assert len(d)==int(sys.argv[1]), len(d)' \
            "$rows" <"$tmp/out" || fail "$last: not the expected JSON"
    fi
}

test_usage() {
    run 2 "$nlog"
    has_err "usage: nlog"

    run 0 "$nlog" --help
    has_out "usage: nlog"
    has_out "config"
    no_err

    run 0 "$nlog" --version
    grep -E '^nlog [0-9]+\.[0-9]+\.[0-9]+' "$tmp/out" >/dev/null || fail "$last: no version"

    run 2 "$nlog" frobnicate
    has_err "nlog: unknown command 'frobnicate'"
    has_err "usage: nlog"

    run 2 "$nlog" --frobnicate
    has_err "unknown option '--frobnicate'"

    run 2 "$nlog" config
    has_err "usage: nlog config validate FILE"

    run 0 "$nlog" config --help
    has_out "usage: nlog config validate FILE"
    has_out "nlog config show [--profile NAME] [--file FILE] [--json]"

    run 2 "$nlog" config frobnicate
    has_err "unknown subcommand 'frobnicate'"

    run 2 "$nlog" config validate
    has_err "validate needs a FILE"
    has_err "usage: nlog config validate FILE"

    run 2 "$nlog" config validate "$data/good.yaml" "$data/empty.yaml"
    has_err "validate takes one file"

    run 2 "$nlog" config validate --strict "$data/good.yaml"
    has_err "unknown option '--strict'"

    run 0 "$nlog" config validate --help
    has_out "usage: nlog config validate FILE"

    run 2 "$nlog" config show --frobnicate
    has_err "unknown option '--frobnicate'"

    run 2 "$nlog" config show --profile
    has_err "--profile needs a NAME"

    run 2 "$nlog" config show --file
    has_err "--file needs a FILE"

    run 2 "$nlog" config show extra
    has_err "unexpected argument 'extra'"
    no_out
}

case "$part" in
validate) test_validate ;;
show) test_show ;;
usage) test_usage ;;
*) echo "unknown part '$part'"; exit 2 ;;
esac

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all checks passed"
