#!/bin/sh
# bench.sh [--update-doc] [nlog_bench options]: builds and runs the logging
# benchmark (bench/, issue 3) and prints its result as Markdown: a short
# description of the machine, then one table. Progress goes to stderr.
#
#   sh scripts/bench.sh                 build, run (about 3 minutes), print
#   sh scripts/bench.sh --update-doc    the same, and put the result into
#                                       docs/PERFORMANCE.md between the
#                                       <!-- bench:begin --> and <!-- bench:end --> lines
#   sh scripts/bench.sh --quick         a short run (options go to nlog_bench;
#                                       see bench/main.c, e.g. --only "nlog sync,spdlog sync")
#
# Installs the peer libraries first (scripts/install-deps.sh bench), then
# configures a Release build in build/bench with the bench on and the tests
# off. The result is also kept in build/bench/bench-result.md.
set -eu
cd "$(dirname "$0")/.."

update_doc=0
if [ "${1:-}" = --update-doc ]; then
  update_doc=1
  shift
fi
doc=docs/PERFORMANCE.md
if [ "$update_doc" = 1 ] &&
   { ! grep -q '^<!-- bench:begin -->$' "$doc" || ! grep -q '^<!-- bench:end -->$' "$doc"; }; then
  echo "bench.sh: $doc lacks the <!-- bench:begin --> / <!-- bench:end --> lines" >&2
  exit 1
fi

sh scripts/install-deps.sh bench >&2

# GCC at -O3 reports a false maybe-uninitialized in src/config/keys.c; it must
# not stop a benchmark build (scripts/test.sh keeps the library's -Werror).
cflags=
case "$(${CC:-cc} --version 2>/dev/null | head -n 1)" in
  *clang*) ;;
  *) cflags=-Wno-error=maybe-uninitialized ;;
esac
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DNLOG_BUILD_BENCH=ON \
  -DNLOG_BUILD_TESTS=OFF -DNLOG_BUILD_EXAMPLES=OFF -DNLOG_BUILD_TOOLS=OFF \
  "-DCMAKE_C_FLAGS=$cflags" >&2
cmake --build build/bench -j "$(nproc)" --target nlog_bench >&2

version() {
  dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"
}

# Other work on the machine shows up in every figure: say how busy it was.
load_before=$(cut -d ' ' -f 1 /proc/loadavg)
if awk -v l="$load_before" 'BEGIN { exit !(l > 0.5) }'; then
  echo "bench.sh: warning: load average is $load_before before the run;" \
       "other processes will lower the figures" >&2
fi

result=build/bench/bench-result.md
{
  model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
  mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
  os=$(. /etc/os-release && echo "$PRETTY_NAME")
  fs=$(df -T build/bench | awk 'NR == 2 { print $2 }')
  clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null ||
                echo unknown)
  echo "**Machine.** $model, $(nproc) cores, $mem RAM; $os, Linux $(uname -r)" \
       "(clock source $clocksource); output files on $fs."
  echo "**Compilers.** $(${CC:-cc} --version | head -n 1); $(${CXX:-c++} --version | head -n 1);" \
       "Release build (-O3)."
  echo "**Peers (Debian packages).** libspdlog-dev $(version libspdlog-dev)" \
       "(with libfmt-dev $(version libfmt-dev)), liblog4c-dev $(version liblog4c-dev)," \
       "libglib2.0-dev $(version libglib2.0-dev), libc6 $(version libc6)," \
       "valgrind $(version valgrind)."
  echo
  build/bench/bench/nlog_bench --dir build/bench "$@"
  echo
  echo "Load average (1 minute) before the run $load_before, after it" \
       "$(cut -d ' ' -f 1 /proc/loadavg); the bench itself keeps up to three threads busy."
} >"$result.tmp"
mv "$result.tmp" "$result"
cat "$result"

if [ "$update_doc" = 1 ]; then
  awk -v result="$result" '
    $0 == "<!-- bench:begin -->" {
      print
      while ((getline line < result) > 0)
        print line
      skip = 1
      next
    }
    $0 == "<!-- bench:end -->" { skip = 0 }
    !skip { print }
  ' "$doc" >"$doc.tmp"
  mv "$doc.tmp" "$doc"
  echo "bench.sh: updated $doc" >&2
fi
