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

# Other work on the machine shows up in every figure: warn if the CPUs were
# more than 10% busy over the last two seconds (nlog_bench itself reports how
# much CPU time other processes took during the run).
cpu_busy() {
  awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat
}
before=$(cpu_busy)
sleep 2
busy=$(printf '%s %s\n' "$before" "$(cpu_busy)" |
       awk '{ t = $4 - $2; printf "%.0f", (t > 0 ? 100 * ($3 - $1) / t : 0) }')
if [ "$busy" -gt 10 ]; then
  echo "bench.sh: warning: the machine is $busy% busy before the run;" \
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
