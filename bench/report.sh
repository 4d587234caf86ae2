#!/usr/bin/env bash
# Rendering time of every report format from a real assessment (OpenWrt 12.09 for the WR703N,
# with the declaration template), release build. Not a test.
# Usage: bench/report.sh [iterations]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd); cd "$here"
iterations=${1:-20}
target=${CARGO_TARGET_DIR:-$here/target}
cargo build --release -q -p iotassay
cargo build --release -q -p iotassay-report --example render_bench
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
sed 's/^security_txt = .*//' docs/declaration.example.toml > "$work/declaration.toml"
"$target/release/iotassay" scan ../shared/corpus/real/openwrt-12.09-tl-wr703n-factory.bin \
  --declaration "$work/declaration.toml" --json "$work/assessment.json" >/dev/null || [ $? -eq 1 ]
"$target/release/examples/render_bench" "$work/assessment.json" "$iterations"
