#!/usr/bin/env bash
# Runs every fuzz target for a fixed time, in N parallel lanes, seeded from the matching corpus
# fixtures. Crashes land in fuzz/artifacts/<target>/; logs in $LOGS. Usage:
#   [NICE=19] [TIMEOUT=20] fuzz/run-campaign.sh [seconds-per-target] [lanes] [target…]
# (on a busy machine a niced fuzzer is starved: raise TIMEOUT so starvation is not reported as a hang)
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:-600}; lanes=${2:-2}; shift 2 2>/dev/null || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(grep -oP '^name = "\K[a-z0-9_]+(?=")' Cargo.toml | grep -v iotassay-fuzz)
LOGS=${LOGS:-/tmp/fuzz-logs}; mkdir -p "$LOGS"
corpus=../../shared/corpus
seed() { # target → seed folder with the fixtures of its family
  local t=$1 d=corpus/$1; mkdir -p "$d"
  case $t in
    squashfs_*) cp -n $corpus/formats/squashFS__* $corpus/formats/binwalk__squashfs.bin "$d" ;;
    archive_cpio) cp -n $corpus/formats/patool__test.cpio "$d" ;;
    archive_tar) cp -n $corpus/formats/binwalk__dirtraversal.tar "$d" ;;
    archive_zip) cp -n $corpus/formats/binwalk__zip*.bin "$d" ;;
    archive_sevenz) cp -n $corpus/formats/binwalk__7z.bin "$d" ;;
    compression_*) cp -n $corpus/formats/binwalk__gzip.bin $corpus/formats/binwalk__bzip2.bin $corpus/formats/sevenz__ext2.img.xz $corpus/formats/linuxkernel__zImage_be32 "$d" ;;
    container_*) cp -n $corpus/formats/trx__trx.img $corpus/formats/uboot__uboot.dtb $corpus/formats/maxlinear__maxlinear-uimage-v2.bin "$d"
                 cp -n $corpus/formats/dlink__* $corpus/formats/buffalo__* $corpus/formats/draytek_* $corpus/formats/senao__* \
                    $corpus/formats/dahua__* $corpus/formats/alphanetworks__* $corpus/formats/broadcom__* "$d"
                 head -c 65536 $corpus/real/openwrt-uImage-lzma.bin > "$d/uimage-head"; head -c 65536 $corpus/formats/tpl__test.tpl > "$d/tpl-head" ;;
    flashfs_*) cp -n $corpus/formats/jffs2__jffs2_le.img $corpus/formats/generic_fs__romfs.img $corpus/formats/binwalk__cramfs.bin $corpus/formats/yaffs__yaffs2_le.img $corpus/formats/ubi__ubi.img "$d"
               [ -f "$d/ext4.img" ] || xz -dc $corpus/formats/sevenz__ext4.img.xz > "$d/ext4.img" ;;
    report_render) [ -f "$d/demo-assessment.json" ] || {  # the demo image's assessment, by our tool
                     (cd .. && cargo run --release -q -p iotassay -- demo --out "fuzz/$d/demo" >/dev/null)
                     cp "$d/demo/assessment.json" "$d/demo-assessment.json"; rm -rf "$d/demo"; } ;;
    probe_*) cp -n seeds/$t/* "$d" ;;
    mcu_*) cp -n $corpus/real/esp32-arduino-https-ota-app.bin $corpus/real/esp32-arduino-ota-app.bin "$d" ;;
    container_realtek) head -c 65536 $corpus/real/dlink-dir600l-b1-2.04.bin > "$d/dir600l-head"
                       cp -n $corpus/formats/trx__trx.img "$d" ;;
    *) cp -n $corpus/formats/binwalk__gzip.bin $corpus/formats/trx__trx.img $corpus/formats/squashFS__xz.sqfs "$d" ;;
  esac
}
run_one() {
  local t=$1; seed "$t"
  mkdir -p "artifacts/$t"
  nice -n "${NICE:-19}" cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -timeout="${TIMEOUT:-20}" \
    -artifact_prefix="artifacts/$t/" > "$LOGS/$t.log" 2>&1
  echo "$t exit=$? $(grep -aoE 'Done [0-9]+ runs in [0-9]+ second' "$LOGS/$t.log" | tail -1)" >> "$LOGS/summary.txt"
}
export -f run_one seed; export secs corpus LOGS NICE TIMEOUT
printf '%s\n' "${targets[@]}" | xargs -P "$lanes" -I{} bash -c 'run_one {}'
cat "$LOGS/summary.txt"
