#!/usr/bin/env bash
# Long fuzzing runs of the importers (the corpora are replayed by the ordinary tests; this finds
# new inputs). Needs a nightly toolchain; installs cargo-fuzz when missing.
#   bash bench/fuzz.sh [SECONDS_PER_TARGET] [TARGET ...]     (default: 60 s, every target)
# The working corpus grows in target/fuzz-corpus/<target>/ (seeded by fuzz/corpus/<target>/ and
# the golden files); a crash is written to fuzz/artifacts/<target>/ — commit it with the fix, and
# the tests replay it from then on. Copy an input worth keeping into fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(canonical synthea mapped fhir); fi
rustup toolchain list | grep -q nightly || rustup toolchain install nightly --profile minimal
cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
for t in "${targets[@]}"; do
  echo "== fuzzing $t for ${seconds}s"
  mkdir -p "target/fuzz-corpus/$t" "fuzz/artifacts/$t"
  # The first folder collects the corpus; the others are seeds only.
  cargo +nightly fuzz run "$t" "target/fuzz-corpus/$t" "fuzz/corpus/$t" crates/formats/tests/golden -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="fuzz/artifacts/$t/"
done
