#!/bin/sh
# run.sh BUILD_DIR SRC_DIR WORK_DIR: installs the build into a scratch prefix,
# then builds and runs the consumer with pkg-config and with find_package.
set -eu
build=$1
src=$2
work=$3
rm -rf "$work"
mkdir -p "$work"
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null

libdir=$(ls -d "$prefix"/lib*/pkgconfig | head -n 1 | xargs dirname)
export PKG_CONFIG_PATH="$libdir/pkgconfig"

echo "--- pkg-config"
pkg-config --modversion nlog
cc -std=c11 -Wall -Wextra -Werror -o "$work/consumer_pc" "$src/consumer.c" \
  $(pkg-config --cflags --libs nlog)
out=$(LD_LIBRARY_PATH="$libdir" "$work/consumer_pc")
echo "$out"
echo "$out" | grep -q 'consumer: consumer works ok=true' || echo "$out" | grep -q 'consumer works'

echo "--- pkg-config --static"
cc -std=c11 -o "$work/consumer_pc_static" "$src/consumer.c" \
  $(pkg-config --cflags nlog) "$libdir/libnlog.a" $(pkg-config --static --libs-only-l nlog | sed 's/-lnlog//')
"$work/consumer_pc_static" | grep -q 'consumer works'

echo "--- find_package(nlog)"
cmake -S "$src" -B "$work/cm" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cm" >/dev/null
LD_LIBRARY_PATH="$libdir" "$work/cm/consumer_shared" | grep -q 'consumer works'
"$work/cm/consumer_static" | grep -q 'consumer works'

echo "--- installed files"
test -f "$prefix/include/nlog/nlog.h"
test -f "$prefix/include/nlog/version.h"
test ! -e "$prefix/include/nlog/version.h.in"
test -x "$prefix/bin/nlog"
# only nlog_* symbols are exported from the shared library
bad=$(nm -D --defined-only "$libdir/libnlog.so" | awk '{print $3}' | grep -vE '^(nlog_|_init$|_fini$|_edata$|_end$|__bss_start$)' || true)
if [ -n "$bad" ]; then
  echo "symbols without the nlog_ prefix exported: $bad" >&2
  exit 1
fi
echo "install test: ok"
