#!/usr/bin/env bash
# Peak memory (and wall time) of `iotassay unpack` and `iotassay scan`, measured with GNU time
# (`/usr/bin/time -v`, "Maximum resident set size"). Not a test. Inputs:
#   1. a gzip bomb: 3 GiB of zeros (`head -c 3G /dev/zero | gzip`, 13 MB), under the default budget
#      (1 GiB for this input) and under a small one (--budget 64 MiB): peak RSS must stay near the
#      budget, not twice it;
#   2. the synthetic ~256 MiB SquashFS-xz of bench/unpack.sh (bench/lib/synthetic-squashfs.sh):
#      `unpack` to disk, `scan --spill memory` (every file held in memory) and `scan --spill disk`
#      (files in a temporary folder, mapped; what `auto` picks from 32 MiB on);
#   3. every real corpus image: `scan` as it runs by default (in memory below 32 MiB) and with
#      --spill disk.
# Needs: GNU time, gzip, squashfs-tools. Usage: bench/memory.sh [--quick]  (--quick: no synthetic)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
quick=0; [ "${1:-}" = "--quick" ] && quick=1
target=${CARGO_TARGET_DIR:-$here/target}
bin=${IOTASSAY:-}
if [ -z "$bin" ]; then
  cargo build --release -q -p iotassay
  bin="$target/release/iotassay"
fi
corpus="$here/../shared/corpus"
# Inputs and unpacked output on disk, not tmpfs: what is written must not count as memory.
work=$(mktemp -d "${TMPDIR:-/tmp}/iotassay-memory.XXXXXX")
trap 'rm -rf "$work"' EXIT

# "peak-MiB seconds exit-code" of one run.
measure() {
  local log="$work/time.log" code=0
  /usr/bin/time -v -o "$log" "$@" >/dev/null 2>&1 || code=$?
  python3 - "$log" "$code" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
wall = re.search(r"Elapsed \(wall clock\) time .*: (?:(\d+):)?(\d+):([\d.]+)", t)
secs = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
print(f"{kib // 1024} {secs:.2f} {sys.argv[2]}")
PY
}
row() { # label command...
  local label=$1; shift
  rm -rf "$work/out"
  read -r mib secs code < <(measure "$@")
  printf '| %s | %s | %s | %s |\n' "$label" "$mib" "$secs" "$code"
}

echo "## Peak resident memory"
echo
printf '| run | peak RSS (MiB) | wall (s) | exit |\n|---|---|---|---|\n'
bomb="$work/bomb-3G.gz"
head -c 3G /dev/zero | gzip -1 >"$bomb"
row "unpack gzip bomb (3 GiB of zeros, $(($(stat -c %s "$bomb") >> 20)) MiB), default budget 1 GiB" \
  "$bin" unpack "$bomb" -o "$work/out"
row "unpack gzip bomb, --budget 64 MiB" "$bin" unpack "$bomb" -o "$work/out" --budget $((64 << 20))
row "scan gzip bomb, default budget 1 GiB" "$bin" scan "$bomb" --fail-on critical
row "scan gzip bomb, --budget 64 MiB" "$bin" scan "$bomb" --fail-on critical --budget $((64 << 20))
rm -f "$bomb"

if [ $quick = 0 ]; then
  synth="$work/synthetic-256M.sqfs"
  "$here/bench/lib/synthetic-squashfs.sh" "$synth" >&2
  size="$(($(stat -c %s "$synth") >> 20)) MiB"
  row "unpack synthetic SquashFS-xz ($size) to disk" "$bin" unpack "$synth" -o "$work/out"
  row "scan synthetic, --spill memory" "$bin" scan "$synth" --fail-on critical --spill memory
  row "scan synthetic, --spill disk (auto)" "$bin" scan "$synth" --fail-on critical --spill disk
  rm -f "$synth"
fi

for img in "$corpus"/real/*; do
  name=$(basename "$img")
  row "scan $name" "$bin" scan "$img" --fail-on critical
  row "scan $name --spill disk" "$bin" scan "$img" --fail-on critical --spill disk
done
