#!/bin/sh
# checksrc.sh: machine-checked house rules for library code (src/):
# no unbounded or non-reentrant C library calls, and the environment is read
# only in the two places that own it.
set -eu
cd "$(dirname "$0")/.."
status=0
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|localtime|gmtime|asctime|ctime|strerror_l|tmpnam)[[:space:]]*\('
if grep -rnE "$banned" src --include='*.c' --include='*.h'; then
  echo "checksrc: banned function in library code (use the bounded/reentrant form)" >&2
  status=1
fi
env_users=$(grep -rlE '\bgetenv[[:space:]]*\(' src --include='*.c' | grep -vE 'src/platform/linux/fs.c|src/config/' || true)
if [ -n "$env_users" ]; then
  echo "checksrc: getenv outside src/platform and src/config: $env_users" >&2
  status=1
fi
if grep -rnE '^[[:space:]]*//' src include --include='*.c' --include='*.h'; then
  echo "checksrc: // comments are for temporary notes; use /* */" >&2
  status=1
fi
[ $status -eq 0 ] && echo "checksrc: ok"
exit $status
