#!/bin/sh
# install-deps.sh [bench]: installs every Debian 12 package the project needs
# to build, test and run; with "bench", also the peer logging libraries and
# tools the benchmark compares against. Idempotent; run as root (or with sudo).
# nlogd's live stream and access control: libsodium-dev (API key digests),
# libssl-dev (TLS: nlogd loads the certificate; CivetWeb dlopens libssl.so,
# which only the -dev package provides), openssl (the TLS test's self-signed
# certificate), python3-websockets (the WebSocket test client), chromium (the
# live page's browser test, driven by playwright-core from npm: tests/browser).
# Node.js and npm come with the machine; Debian's are installed only if absent.
# libdeflate-dev: nlogd inflates gzip request bodies with it (whole-buffer,
# about twice zlib's speed; src/server/http/gunzip.c).
set -eu

PACKAGES="
  build-essential cmake pkg-config git ca-certificates
  clang libclang-rt-14-dev
  libfyaml-dev libjson-c-dev libcmocka-dev libzstd-dev zlib1g-dev
  libcivetweb-dev libsqlite3-dev libcurl4-openssl-dev python3 curl
  libsodium-dev libpcre2-dev
  zstd
  libcurl4-openssl-dev python3-aiosmtpd
  libsodium-dev libssl-dev openssl
  python3-websockets chromium
  libdeflate-dev
"
if [ "${1:-}" = bench ]; then
  PACKAGES="$PACKAGES g++ libspdlog-dev liblog4c-dev libglib2.0-dev valgrind"
  PACKAGES="$PACKAGES prometheus-cpp-dev" # peer of the performance-monitoring bench (bench/perf)
fi

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done

command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -n "$missing" ]; then
  echo "install-deps: installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
  # shellcheck disable=SC2086
  $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends $missing
else
  echo "install-deps: all packages present"
fi
