#!/usr/bin/env bash
# Runs every test on SQLite and PostgreSQL.
# PostgreSQL: TEST_DATABASE_URL when set (and then it must be reachable: the run fails, it never
# skips). Otherwise the local server on 127.0.0.1:5432 when it answers, otherwise a throwaway
# cluster (initdb into a temporary directory) when PostgreSQL's binaries are installed and we
# are not root; failing all that, only SQLite runs and this script says so loudly.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS="${TEST_THREADS:-8}"
pg_only_sqlite=0
cleanup() { :; }

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then
    export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
  else
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
    if [ -n "$bindir" ] && [ "$(id -u)" != "0" ]; then
      tmp=$(mktemp -d)
      "$bindir/initdb" -D "$tmp/data" -U postgres --auth=trust >/dev/null
      "$bindir/pg_ctl" -D "$tmp/data" -o "-p 54329 -k $tmp -c listen_addresses=127.0.0.1" -l "$tmp/log" -w start >/dev/null
      cleanup() { "$bindir/pg_ctl" -D "$tmp/data" -m fast stop >/dev/null || true; rm -rf "$tmp"; }
      export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:54329/postgres"
      echo "tests: started a throwaway PostgreSQL cluster in $tmp"
    else
      pg_only_sqlite=1
    fi
  fi
fi
trap cleanup EXIT

if [ "$pg_only_sqlite" = 1 ]; then
  echo "################################################################"
  echo "## WARNING: no PostgreSQL found: ONLY THE SQLITE TESTS RUN.   ##"
  echo "## Set TEST_DATABASE_URL=postgres://… to test PostgreSQL too. ##"
  echo "################################################################"
  cargo test --workspace -- --test-threads "$THREADS" --skip postgres --skip both_backends_produce_the_same_schema
  echo "WARNING: only SQLite was tested."
else
  echo "tests: PostgreSQL at ${TEST_DATABASE_URL%%@*}@…; every black-box test runs on SQLite and PostgreSQL"
  cargo test --workspace -- --test-threads "$THREADS"
fi
