#!/usr/bin/env bash
# Runs every test of Together, installing what a fresh machine lacks: the npm packages, Debian's
# Chromium for the browser tests, and a PostgreSQL server when none answers on 127.0.0.1:5432.
# Then: formatting, clippy, the dependencies' licences and sources (cargo-deny, installed when
# missing), the Rust tests on SQLite and PostgreSQL, the browser tests, and Schemathesis against
# the APIs' OpenAPI documents (Python's venv installed when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else echo "need root for: $*" >&2; return 1; fi; }
apt_updated=""
apt_install() {
  [ -n "$apt_updated" ] || { as_root apt-get update -qq; apt_updated=1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/5432") 2>/dev/null; }

step "npm packages (web/)"
if [ ! -f web/node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.css ] || [ ! -d web/node_modules/playwright-core ] || [ ! -d web/node_modules/@axe-core/playwright ]; then
  npm ci --prefix web --no-audit --no-fund
fi

step "Chromium for the browser tests"
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_PATH" ]; then
  apt_install chromium
fi
export CHROMIUM_PATH

step "PostgreSQL for the store and HTTP tests"
# pg_dump and pg_restore for the backup drill on PostgreSQL (the server's major version).
command -v pg_dump >/dev/null && command -v pg_restore >/dev/null || apt_install postgresql-client
if [ -z "${TOGETHER_TEST_POSTGRES_URL:-}" ]; then
  if port_open; then
    export TOGETHER_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/postgres"
  else
    command -v pg_ctlcluster >/dev/null || apt_install postgresql
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    # As root, initdb refuses to run; pg_ctlcluster starts Debian's cluster as the postgres user.
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do port_open && break; sleep 1; done
    port_open || { echo "PostgreSQL did not start on 127.0.0.1:5432" >&2; exit 1; }
    # Debian's cluster asks for a password over TCP: give the test superuser one.
    as_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'together-test'\""
    export TOGETHER_TEST_POSTGRES_URL="postgres://postgres:together-test@127.0.0.1:5432/postgres"
  fi
fi
echo "using ${TOGETHER_TEST_POSTGRES_URL%%@*}@… "

step "Every test the hazard log names as a control exists"
missing=0
for name in $(grep '^| H' docs/clinical-safety/hazard-log.md | grep -o '`[a-z0-9_]*`' | tr -d '`' | sort -u); do
  grep -rqE "fn ${name}\b|^on_both!\(${name}\)" crates || { echo "hazard log names a missing test: $name" >&2; missing=1; }
done
[ "$missing" = 0 ] || exit 1
echo "all named controls exist"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

step "Dependencies: licences, bans and sources (cargo-deny, deny.toml)"
command -v cargo-deny >/dev/null || cargo install --locked --quiet cargo-deny --version 0.20.2
cargo deny check --hide-inclusion-graph licenses bans sources

# Each PostgreSQL test makes a database of its own (together_test_<uuid>); they are dropped before
# and after the run, when no test is using one, so that runs do not pile them up on the server.
drop_test_databases() {
  psql "$TOGETHER_TEST_POSTGRES_URL" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'together\_test\_%'" |
    while read -r db; do psql "$TOGETHER_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"; done
}

step "Rust tests (SQLite and PostgreSQL)"
mkdir -p target
drop_test_databases
cargo test --workspace 2>&1 | tee target/rust-tests.log
drop_test_databases
pg=$(grep -cE '^test .*postgres.* \.\.\. ok$' target/rust-tests.log || true)
echo "PostgreSQL tests run and passed: $pg"
[ "$pg" -gt 0 ] || { echo "no PostgreSQL test ran" >&2; exit 1; }

step "Browser tests (Chromium, Playwright, axe-core) on the debug binary"
cargo build -p together-cli
TOGETHER_BIN="$PWD/target/debug/together" npm test --prefix web 2>&1 | tee target/browser-tests.log
echo "Browser tests run: $(grep -E '^# (pass|fail) ' target/browser-tests.log | tr '\n' ' ')"

step "The API against its OpenAPI (Schemathesis, every check; docs/api.md)"
command -v python3 >/dev/null || apt_install python3
python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
bash scripts/api-conformance.sh 2>&1 | tee target/api-conformance.log
