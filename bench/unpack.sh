#!/usr/bin/env bash
# Unpacking benchmark, side by side in one run (not a test):
#   1. full recursive unpack of each real corpus image: iotassay vs binwalk v3 `-eM` (when installed:
#      `cargo install binwalk`), with the number of files each recovers;
#   2. squashfs-only inputs: iotassay vs Debian's `unsquashfs -p 2`;
#   3. a 256 MiB synthetic SquashFS (xz) built with mksquashfs from a tree of real binaries:
#      wall time and peak memory of iotassay vs `unsquashfs -p 2`.
# The tools run alternately, run by run (bench/interleave.py), and ratios are of median wall times,
# so a VM that gets busier or quieter during the benchmark affects both alike.
# Needs: python3, squashfs-tools, GNU time (`apt-get install squashfs-tools time`).
# Usage: bench/unpack.sh [--quick]   (--quick: fewer runs, skips the synthetic image)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
quick=0; [ "${1:-}" = "--quick" ] && quick=1
runs=15; [ $quick = 1 ] && runs=3
target=${CARGO_TARGET_DIR:-$here/target}
cargo build --release -q -p iotassay
bin="$target/release/iotassay"
corpus="$here/../shared/corpus"
# Outputs go to tmpfs: on a disk mounted with `discard`, re-creating thousands of just-deleted
# files costs more than the extraction itself and would swamp both tools' numbers.
work=$(mktemp -d /dev/shm/iotassay-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
results="$work/results"; mkdir -p "$results"
have_binwalk=0; command -v binwalk >/dev/null && binwalk --help 2>&1 | grep -q -- '--extract\|-e' && have_binwalk=1
command -v jefferson >/dev/null || echo "note: jefferson is not installed: binwalk will not extract JFFS2 (pip install jefferson)" >&2

median() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"])' "$1" "$2"; }
interleave() { python3 "$here/bench/interleave.py" "$@"; }
# CPU seconds (user + system, children included) per run: steadier than wall time on a busy machine.
cpu() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]; print(r["user"]+r["system"])' "$1" "$2"; }
# binwalk v3 extracts SquashFS with `sasquatch`, which Debian does not package; Debian's unsquashfs
# takes the same `sasquatch IMAGE` call (extracting to ./squashfs-root) for standard SquashFS 4, so
# a stand-in lets binwalk do the work it would do on a fully equipped machine (vendor SquashFS
# variants, e.g. Broadcom's v2 LZMA, still need the real sasquatch, which nothing here provides).
# JFFS2 needs `jefferson` (`pip install jefferson`); without it binwalk extracts no JFFS2 at all.
shim="$work/shim"; mkdir -p "$shim"
printf '#!/bin/sh\nexec unsquashfs -no-exit-code "$@"\n' >"$shim/sasquatch"; chmod +x "$shim/sasquatch"
export PATH="$shim:$PATH"

peak_kib() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
# Peak anonymous memory (KiB): RSS without the file-backed pages of a memory-mapped input.
peak_anon_kib() {
  "$@" >/dev/null 2>&1 & local pid=$! max=0 a
  while kill -0 $pid 2>/dev/null; do
    a=$(awk '/RssAnon/{print $2}' /proc/$pid/status 2>/dev/null); [ -n "$a" ] && [ "$a" -gt $max ] && max=$a
    sleep 0.02
  done
  echo $max
}
# What each tool recovered: our manifest's nodes other than folders (device nodes are recorded
# there, not created); everything binwalk wrote other than folders (device nodes as unsquashfs
# creates them, or 0-byte placeholders from its own extractors), without the link to the input it
# puts at the top.
count_ours() { python3 -c 'import json,sys; print(sum(n["kind"] != "dir" for n in json.load(open(sys.argv[1]))["nodes"]))' "$1/manifest.json" 2>/dev/null || echo 0; }
count_binwalk() { find "$1" -mindepth 2 ! -type d 2>/dev/null | wc -l; }

echo "## Full recursive unpack of the real images"
echo
printf '| image | iotassay (ms, median) | binwalk -eM (ms, median) | speed-up | CPU iotassay (ms) | CPU binwalk (ms) | CPU ratio | files iotassay | files binwalk |\n|---|---|---|---|---|---|---|---|---|\n'
for img in "$corpus"/real/*; do
  name=$(basename "$img")
  out="$work/i"; bout="$work/b"
  cmds=("$bin unpack $img -o $out")
  [ $have_binwalk = 1 ] && cmds+=("binwalk -q -eM -C $bout $img")
  interleave --prepare "rm -rf $out $bout" --warmup 2 --runs $runs --json "$results/$name.json" "${cmds[@]}"
  ti=$(median "$results/$name.json" 0)
  rm -rf "$out"; "$bin" unpack "$img" -o "$out" >/dev/null 2>&1 || true
  fi=$(count_ours "$out")
  if [ $have_binwalk = 1 ]; then
    tb=$(median "$results/$name.json" 1)
    rm -rf "$bout"; binwalk -q -eM -C "$bout" "$img" >/dev/null 2>&1 || true
    fb=$(count_binwalk "$bout")
    ci=$(cpu "$results/$name.json" 0); cb=$(cpu "$results/$name.json" 1)
    python3 -c "import sys; i,b,ci,cb=map(float,sys.argv[1:5]); print(f'| $name | {i*1e3:.1f} | {b*1e3:.1f} | {b/i:.1f}x | {ci*1e3:.0f} | {cb*1e3:.0f} | {cb/ci:.1f}x | $fi | $fb |')" "$ti" "$tb" "$ci" "$cb"
  else
    python3 -c "import sys; print(f'| $name | {float(sys.argv[1])*1e3:.1f} | n/a | n/a | n/a | n/a | n/a | $fi | n/a |')" "$ti"
  fi
done

echo
echo "## SquashFS-only inputs vs unsquashfs -p 2"
echo
printf '| image | iotassay (ms) | unsquashfs (ms) | ratio (iotassay/unsquashfs) |\n|---|---|---|---|\n'
sq_inputs=("$corpus/real/tplink-mt7628-rootfs.squashfs")
if [ $quick = 0 ]; then
  synth="$work/synthetic-256M.sqfs"
  "$here/bench/lib/synthetic-squashfs.sh" "$synth"
  sq_inputs+=("$synth")
fi
for img in "${sq_inputs[@]}"; do
  name=$(basename "$img")
  r=$runs; w=1
  [ "$(stat -c %s "$img")" -gt $((64 << 20)) ] && { r=3; w=0; } # the big image: fewer runs
  interleave --prepare "rm -rf $work/i $work/u" --warmup $w --runs $r --json "$results/sq-$name.json" \
    "$bin unpack $img -o $work/i" \
    "unsquashfs -q -n -p 2 -d $work/u $img"
  ti=$(median "$results/sq-$name.json" 0); tu=$(median "$results/sq-$name.json" 1)
  python3 -c "import sys; i,u=float(sys.argv[1]),float(sys.argv[2]); print(f'| $name | {i*1e3:.1f} | {u*1e3:.1f} | {i/u:.2f} |')" "$ti" "$tu"
done
if [ $quick = 0 ]; then
  rm -rf "$work/i" "$work/u"
  mi=$(peak_kib "$bin" unpack "$synth" -o "$work/i"); mu=$(peak_kib unsquashfs -q -n -p 2 -d "$work/u" "$synth")
  rm -rf "$work/i" "$work/u"
  ai=$(peak_anon_kib "$bin" unpack "$synth" -o "$work/i"); au=$(peak_anon_kib unsquashfs -q -n -p 2 -d "$work/u" "$synth")
  echo
  echo "Peak RSS on the synthetic image: iotassay $((mi / 1024)) MiB, unsquashfs -p 2 $((mu / 1024)) MiB"
  echo "Peak anonymous memory (without the mapped input): iotassay $((ai / 1024)) MiB, unsquashfs -p 2 $((au / 1024)) MiB"
fi
