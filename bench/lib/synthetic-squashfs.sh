#!/usr/bin/env bash
# Build the synthetic ~256 MiB SquashFS (xz) the benchmarks share, at $1, from real binaries and
# libraries of this machine (xz packs ELF files about 3-4x, so ~850 MiB of input). Prints what it
# built. Needs squashfs-tools. Usage: bench/lib/synthetic-squashfs.sh OUT.sqfs
set -euo pipefail
synth=$1
tree=$(mktemp -d "$(dirname "$synth")/tree.XXXXXX")
trap 'rm -rf "$tree"' EXIT
budget=$((850 * 1024 * 1024)); used=0; n=0
while IFS= read -r -d '' f; do
  s=$(stat -c %s "$f"); [ "$s" -gt 0 ] || continue
  n=$((n + 1)); d="$tree/$((n / 500))"; mkdir -p "$d"
  cp -p "$f" "$d/$n-$(basename "$f")" 2>/dev/null || continue
  used=$((used + s)); [ $used -ge $budget ] && break
done < <(find /usr/bin /usr/lib /usr/libexec "$HOME/.rustup" -xdev -type f -size +4k -print0 2>/dev/null)
mksquashfs "$tree" "$synth" -comp xz -noappend -quiet -processors 2 >/dev/null
echo "(synthetic image: $(du -m "$synth" | cut -f1) MiB from $n files, $((used >> 20)) MiB of content)"
