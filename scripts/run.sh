#!/bin/sh
# run.sh: installs what is needed, builds in release mode and runs the main
# job. Until the server exists, the main job is the quick-start example: it
# logs every level, categories and structured fields to the console and to
# JSON-lines files, and prints where the files are.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DNLOG_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)"
mkdir -p build/demo
cd build/demo
exec ../release/examples/01_quickstart
