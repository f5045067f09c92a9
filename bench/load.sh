#!/usr/bin/env bash
# The server under a morning's mix, then under a password-guessing attack (docs/performance.md):
# 100 requests a second of directory, ORUK, /offers and /insight on the demo, from a second
# process (oha, which holds a fixed rate). Installs oha into target/bench-tools, builds the
# release binary, runs bench/load.py. Not part of the tests: speed is measured, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=target/bench-tools
[ -x "$tools/bin/oha" ] || cargo install oha --locked --root "$tools"
[ -d web/node_modules/nhsuk-frontend ] || npm ci --prefix web --no-audit --no-fund
cargo build --release -p together-cli
python3 bench/load.py "$@"
