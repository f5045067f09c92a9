#!/usr/bin/env bash
# The performance benchmark (docs/performance.md): Together against DuckDB and Polars.
#   bash bench/run.sh                      # 1M and 10M appointments
#   SIZES=1000000 bash bench/run.sh        # just one size
# Installs DuckDB and Polars (bench/requirements.txt) in target/bench-venv, builds the release
# binary, and runs bench/bench.py. Not part of the tests: speed is measured here, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q -r bench/requirements.txt
[ -d web/node_modules/nhsuk-frontend ] || npm ci --prefix web --no-audit --no-fund
cargo build --release -p together-cli
"$venv/bin/python" bench/bench.py --sizes "${SIZES:-1000000,10000000}" "$@"
