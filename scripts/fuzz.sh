#!/usr/bin/env bash
# `make fuzz-api [BACKEND=sqlite|postgres]`: the server on a fresh database with demo data,
# a long-lived token of the Ruili bureau's org admin, and schemathesis against /openapi.json
# with all its checks. Ends with schemathesis's own summary; exits with its status.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND="${BACKEND:-sqlite}"
EXAMPLES="${FUZZ_EXAMPLES:-50}"
MAX_TIME="${FUZZ_MAX_TIME:-900}"
VENV="${FUZZ_VENV:-target/fuzz-venv}"
BIN=target/debug/zhaoshang
tmp=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  [ "$BACKEND" = postgres ] && psql "${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}" -qc "DROP DATABASE IF EXISTS zs_fuzz WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

if [ ! -x "$VENV/bin/schemathesis" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'schemathesis>=4,<5'
fi

case "$BACKEND" in
  sqlite) url="sqlite://$tmp/fuzz.db" ;;
  postgres)
    admin="${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}"
    psql "$admin" -qc "DROP DATABASE IF EXISTS zs_fuzz WITH (FORCE)" -c "CREATE DATABASE zs_fuzz" >/dev/null
    url="${admin%/*}/zs_fuzz" ;;
  *) echo "BACKEND must be sqlite or postgres"; exit 2 ;;
esac
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" --database-url "$url" seed --demo >"$tmp/seed.log" 2>&1
# Tokens outlive the run; logins are not throttled into the way of the run.
ZS_BIND="127.0.0.1:$port" ZS_ACCESS_TOKEN_TTL_SECS=86400 ZS_LOG=warn \
  "$BIN" --database-url "$url" serve >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
token=$(curl -fs -X POST "http://127.0.0.1:$port/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"ruili.admin","password":"Zhaoshang-2026"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

export ZS_FUZZ_TOKEN="$token"
echo "fuzz-api: $BACKEND, $EXAMPLES examples per operation, at most $MAX_TIME s"
SCHEMATHESIS_HOOKS=hooks PYTHONPATH=scripts/fuzz "$VENV/bin/schemathesis" --config-file scripts/fuzz/schemathesis.toml run "http://127.0.0.1:$port/openapi.json" \
  --checks all --max-examples "$EXAMPLES" --max-time "$MAX_TIME" \
  --phases examples,coverage,fuzzing,stateful --workers 2 --no-color "$@"
