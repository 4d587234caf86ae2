#!/usr/bin/env bash
# Vendor-container decryption benchmark (not a test): builds large images of the encrypted D-Link
# and Senao formats around random data with the openssl CLI, then times `iotassay unpack` on each
# against `openssl enc -d` decrypting the same bytes (the reference step of FACT's and EMBA's
# extractors, which then still have to be carved). CPU time and peak memory, side by side.
# Needs: openssl, GNU time. Usage: bench/vendor.sh [MiB]   (default 64)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
mib=${1:-64}
target=${CARGO_TARGET_DIR:-$here/target}
cargo build --release -q -p iotassay
bin="$target/release/iotassay"
work=$(mktemp -d /dev/shm/iotassay-vendor.XXXXXX)
trap 'rm -rf "$work"' EXIT
be32() { printf '%08x' "$1" | xxd -r -p; }
head -c $((mib << 20)) /dev/urandom > "$work/plain"
size=$(stat -c %s "$work/plain")

# D-Link SHRS: header with the three SHA-512 digests, AES-128-CBC with the published key.
shrs_key=c05fbf1936c99429ce2a0781f08d6ad8; iv=00112233445566778899aabbccddeeff
openssl enc -aes-128-cbc -nopad -K $shrs_key -iv $iv -in "$work/plain" -out "$work/shrs.ct"
{
  printf SHRS; be32 "$size"; be32 "$size"; echo -n $iv | xxd -r -p
  { cat "$work/plain"; echo -n $shrs_key | xxd -r -p; } | openssl dgst -sha512 -binary
  openssl dgst -sha512 -binary < "$work/plain"
  openssl dgst -sha512 -binary < "$work/shrs.ct"
  head -c $((0x6dc - 0xdc)) /dev/zero
  cat "$work/shrs.ct"
} > "$work/shrs.bin"

# D-Link encrpted_img: AES-256-CBC, each 128 KiB erase block on its own.
enc_key=$(echo -n 'he9-4+M!)d6=m~we1,q2a3d1n&2*Z^%8' | xxd -p -c 64)
enc_iv=$(echo -n 'J%1iQl8$=lm-;8AE' | xxd -p -c 64)
split -b 131072 -d -a 5 "$work/plain" "$work/peb."
{
  printf encrpted_img; be32 "$size"
  for p in "$work"/peb.*; do openssl enc -aes-256-cbc -nopad -K "$enc_key" -iv "$enc_iv" -in "$p"; done
} > "$work/encimg.bin"
rm -f "$work"/peb.*

measure() { # label command…
  local label=$1; shift
  /usr/bin/time -f "%U %S %M" -o "$work/t" "$@" > /dev/null 2>&1 || true
  read -r u s m < "$work/t"
  printf '%-44s %8.2f s CPU %8d MiB peak\n' "$label" "$(awk "BEGIN{print $u + $s}")" $((m / 1024))
}

echo "payload: $mib MiB of random data"
for img in shrs encimg; do
  rm -rf "$work/out"
  measure "iotassay unpack $img.bin" "$bin" unpack "$work/$img.bin" -o "$work/out"
  grep -q '"dlink-' "$work/out/manifest.json" || echo "  (not identified!)"
done
measure "openssl enc -d (SHRS ciphertext only)" \
  openssl enc -d -aes-128-cbc -nopad -K $shrs_key -iv $iv -in "$work/shrs.ct" -out "$work/dec"
