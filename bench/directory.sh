#!/usr/bin/env bash
# The directory under load (docs/performance.md): 10,000 services, 200 requests a second from a
# second process (oha, which holds a fixed rate; Debian's wrk does not). Installs oha into
# target/bench-tools, builds the release binary, runs bench/directory.py. Not part of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=target/bench-tools
[ -x "$tools/bin/oha" ] || cargo install oha --locked --root "$tools"
[ -d web/node_modules/nhsuk-frontend ] || npm ci --prefix web --no-audit --no-fund
cargo build --release -p together-cli
python3 bench/directory.py "$@"
