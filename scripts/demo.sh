#!/usr/bin/env bash
# Runs the Together demo: installs the NHS.UK frontend (npm) if it is missing, then builds and
# serves a made-up PCN at http://localhost:8080 and prints the demo sign-ins.
# Extra arguments go to `together demo` (for example --port 9000 or --data-dir ./demo-data).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null; then
  echo "Rust is needed: install it from https://rustup.rs and run this again." >&2; exit 1
fi
if [ ! -f web/node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.css ]; then
  if ! command -v npm >/dev/null; then
    echo "Node.js and npm are needed for the NHS.UK frontend: install them and run this again." >&2; exit 1
  fi
  echo "Installing the NHS.UK frontend (npm ci in web/) ..."
  npm ci --prefix web --no-audit --no-fund
fi
exec cargo run --release -- demo "$@"
