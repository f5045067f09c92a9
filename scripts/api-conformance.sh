#!/usr/bin/env bash
# The API is exactly what its OpenAPI says: Schemathesis (installed here into its own virtual
# environment) runs every check against the demo served by the debug binary — Together's API
# with a bearer token for the PCN administrator and for a link worker, and the Open Referral UK
# API — for SECONDS each (default 60). schemathesis.toml says the one expectation widened and why.
# Called by scripts/test.sh after the debug binary is built.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${SECONDS_EACH:-60}"
venv=target/schemathesis-venv
[ -x "$venv/bin/schemathesis" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q "schemathesis==4.32.5"; }
bin="$PWD/target/debug/together"
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TOGETHER_LOG=warn "$bin" demo --data-dir "$work/data" --port "$port" >"$work/demo.log" 2>&1 &
demo=$!
trap 'kill $demo 2>/dev/null || true; wait $demo 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 300); do grep -q "running at" "$work/demo.log" && break; sleep 1; done
grep -q "running at" "$work/demo.log" || { cat "$work/demo.log" >&2; echo "the demo did not start" >&2; exit 1; }
base="http://127.0.0.1:$port"
token() {
  local email
  email=$(grep "^$1 " "$work/data/demo-credentials.txt" | cut -d' ' -f2)
  TOGETHER_LOG=warn "$bin" users token --data-dir "$work/data" --email "$email" 2>/dev/null
}
run() {
  echo "--- $1"
  shift
  "$venv/bin/schemathesis" run --checks all --max-time "$seconds" --workers 2 --warnings off \
    --seed 20261207 "$@"
}
run "Together API as the PCN administrator" "$base/api/v1/openapi.json" -H "Authorization: Bearer $(token pcn_admin)"
run "Together API as a link worker" "$base/api/v1/openapi.json" -H "Authorization: Bearer $(token link_worker)"
run "Open Referral UK API" "$base/api/oruk/openapi.json" --url "$base/api/oruk"
