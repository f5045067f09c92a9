#!/usr/bin/env bash
# The impact evaluation at scale: about 10,000 connected people against about 1,000,000 people
# never connected, 1,000 bootstrap resamples (docs/performance.md). No peer does matching and a
# bootstrapped difference in differences, so it prints absolute figures with the machine stated.
#   bash bench/impact.sh                      # 1,010,000 people, ~10,000 connected, 1,000 resamples
#   bash bench/impact.sh 200000 2000 1000     # smaller
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p together-insight --example impact_bench
exec ./target/release/examples/impact_bench "${1:-1010000}" "${2:-10000}" "${3:-1000}"
