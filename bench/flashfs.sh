#!/usr/bin/env bash
# Flash file system benchmark (not a test): one tree of real files (~64 MiB from this machine's
# /usr) packed with Debian's own tools into JFFS2, UBI+UBIFS, cramfs, ext4 and romfs images, then
# unpacked by iotassay and by the Debian tool that reads each format. Time and peak memory, side
# by side. YAFFS2 has no Debian tool on either side, so it is left out.
# Needs: mtd-utils, util-linux, e2fsprogs, genromfs, hyperfine, GNU time.
# Usage: bench/flashfs.sh [MiB]   (default 64)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
mib=${1:-64}
target=${CARGO_TARGET_DIR:-$here/target}
cargo build --release -q -p iotassay
bin="$target/release/iotassay"
# tmpfs: see bench/unpack.sh (file creation on a `discard` disk swamps both tools).
work=$(mktemp -d /dev/shm/iotassay-flash.XXXXXX)
trap 'rm -rf "$work"' EXIT
tree="$work/tree"; mkdir -p "$tree"
budget=$((mib * 1024 * 1024)); used=0; n=0
while IFS= read -r -d '' f; do
  s=$(stat -c %s "$f"); [ "$s" -gt 0 ] || continue
  [ $((used + s)) -le $budget ] || continue
  n=$((n + 1)); d="$tree/$((n / 200))"; mkdir -p "$d"
  cp -p "$f" "$d/$n-$(basename "$f")" 2>/dev/null || continue
  used=$((used + s)); [ $used -ge $((budget - 65536)) ] && break
done < <(find /usr/lib /usr/bin /usr/share -xdev -type f -print0 2>/dev/null)
ln -s ../0/1-x "$tree/1/link" 2>/dev/null || true
echo "tree: $n files, $((used >> 20)) MiB"
echo

peak_mib() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%d", $1/1024}'; }
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s.%N); python3 -c "print(f'{$t1-$t0:.2f}')"; }

img_jffs2="$work/fs.jffs2"; mkfs.jffs2 -r "$tree" -o "$img_jffs2" -e 128KiB -l -q
img_cramfs="$work/fs.cramfs"; mkfs.cramfs "$tree" "$img_cramfs" >/dev/null
img_ext4="$work/fs.ext4"; mke2fs -q -t ext4 -d "$tree" "$img_ext4" $((mib * 3 / 2 + 16))M
img_romfs="$work/fs.romfs"; genromfs -d "$tree" -f "$img_romfs"
img_ubi="$work/fs.ubi"
mkfs.ubifs -r "$tree" -m 2048 -e 126976 -c 4096 -x lzo -o "$work/fs.ubifs"
printf '[rootfs]\nmode=ubi\nimage=%s\nvol_id=0\nvol_type=dynamic\nvol_name=rootfs\nvol_flags=autoresize\n' "$work/fs.ubifs" > "$work/ubi.ini"
ubinize -o "$img_ubi" -m 2048 -p 128KiB -s 2048 "$work/ubi.ini"

# jffs2reader reads one file per call, scanning the whole image each time: run it over every
# file for at most this long and extrapolate.
jffs2_limit=120
jffs2reader_all() {
  local img=$1 deadline=$(( $(date +%s) + jffs2_limit )) done=0 total
  mapfile -t files < <(cd "$tree" && find . -type f | sed 's|^\.||')
  total=${#files[@]}
  for f in "${files[@]}"; do
    jffs2reader "$img" -f "$f" >/dev/null 2>&1 || true
    done=$((done + 1))
    [ "$(date +%s)" -lt $deadline ] || break
  done
  echo "$done $total"
}

printf '| format | image (MiB) | iotassay (s) | iotassay peak (MiB) | Debian tool | tool (s) | tool peak (MiB) | files iotassay |\n|---|---|---|---|---|---|---|---|\n'
row() { # format image tool-label tool-seconds tool-peak
  local fmt=$1 img=$2 label=$3 ts=$4 tp=$5 out="$work/out" ti pi fi
  rm -rf "$out"; ti=$(secs "$bin" unpack "$img" -o "$out")
  fi=$(find "$out" -type f -o -type l | wc -l); fi=$((fi - 1))
  rm -rf "$out"; pi=$(peak_mib "$bin" unpack "$img" -o "$out"); rm -rf "$out"
  echo "| $fmt | $(( $(stat -c %s "$img") >> 20 )) | $ti | $pi | $label | $ts | $tp | $fi |"
}

x="$work/x"
rm -rf "$x"; t=$(secs fsck.cramfs --extract="$x" "$img_cramfs"); rm -rf "$x"; p=$(peak_mib fsck.cramfs --extract="$x" "$img_cramfs"); rm -rf "$x"
row cramfs "$img_cramfs" "fsck.cramfs --extract" "$t" "$p"
rm -rf "$x"; mkdir -p "$x"; t=$(secs debugfs -R "rdump / $x" "$img_ext4"); rm -rf "$x"; mkdir -p "$x"; p=$(peak_mib debugfs -R "rdump / $x" "$img_ext4"); rm -rf "$x"
row ext4 "$img_ext4" "debugfs -R rdump" "$t" "$p"
t0=$(date +%s.%N); read -r done total < <(jffs2reader_all "$img_jffs2"); t1=$(date +%s.%N)
t=$(python3 -c "d,n=$done,$total; s=$t1-$t0; print(f'{s:.0f} for {d}/{n} files, ~{s*n/d:.0f} for all' if d < n else f'{s:.2f}')")
p=$(peak_mib jffs2reader "$img_jffs2" -f "$(cd "$tree" && find . -type f | head -1 | sed 's|^\.||')")
row jffs2 "$img_jffs2" "jffs2reader -f, per file" "$t" "$p"
row ubi "$img_ubi" "none in Debian (ubireader is not packaged; the kernel needs nandsim + mount)" "-" "-"
row romfs "$img_romfs" "none in Debian (kernel mount only)" "-" "-"
