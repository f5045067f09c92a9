#!/usr/bin/env bash
# The memory check of docs/performance.md: the attendance profile over more than 100 million
# appointments, with its peak resident memory (the issue asks for 100M within 8 GB).
#   bash bench/memory.sh
# The never-issued NHS number range holds 909,091 people, who make about 42 million appointments
# in 11 years; three seeds' appointments, imported as three imports over the same people, make
# about 125 million. Needs about 5 GB of disk while it runs (the CSVs are deleted after import).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d web/node_modules/nhsuk-frontend ] || npm ci --prefix web --no-audit --no-fund
cargo build --release -p together-cli
B=./target/release/together
D=target/bench/data-memory
rm -rf "$D"
"$B" bootstrap-admin --data-dir "$D" --email bench@example.org --name Bench --pcn-name "Bench PCN" > /dev/null
for c in B99001 B99002 B99003; do
  "$B" practices add "$c" --name "Practice $c" --data-dir "$D" > /dev/null
  "$B" practices data-sharing "$c" --data-dir "$D" > /dev/null
done
for seed in 1 2 3; do
  S="target/bench/source-memory-seed$seed"
  "$B" generate --patients 909091 --practices 3 --years 11 --end-year 2025 --seed "$seed" --out "$S" > /dev/null
  if [ "$seed" = 1 ]; then "$B" import registrations "$S/registrations.csv" --data-dir "$D"; fi
  "$B" import appointments "$S/appointments.csv" --data-dir "$D"
  rm -f "$S"/*.csv
done
"$B" sql --data-dir "$D" --format csv "SELECT count(*) AS appointments FROM appointments"
/usr/bin/time -v "$B" analyse profile --data-dir "$D" --from 2015-01-01 --to 2025-12-31 \
  --unsuppressed --format json 2> target/bench/memory-time.txt > target/bench/memory-profile.json
grep -E "Elapsed|Maximum resident" target/bench/memory-time.txt
