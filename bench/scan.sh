#!/usr/bin/env bash
# `iotassay scan` per real corpus image: wall time (hyperfine) and peak memory, side by side with an
# EMBA-style baseline on the same root file system: one process per file per check (`readelf` for
# hardening flags, `strings | grep` for keys, password hashes and plain-http URLs), as shell-based
# analysers do. Not a test. Needs hyperfine, binutils, GNU time.
# Usage: bench/scan.sh [runs]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd); cd "$here"
runs=${1:-3}
target=${CARGO_TARGET_DIR:-$here/target}
cargo build --release -q -p iotassay
bin="$target/release/iotassay"
corpus="$here/../shared/corpus"
work=$(mktemp -d /dev/shm/iotassay-scan.XXXXXX); trap 'rm -rf "$work"' EXIT
mean() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["mean"])' "$1" "$2"; }

# The baseline, on the largest root file system iotassay extracted from the image.
cat > "$work/baseline.sh" <<'SH'
#!/usr/bin/env bash
root=$1
find "$root" -type f | while read -r f; do
  readelf -lWd "$f" >/dev/null 2>&1
  strings -n 8 "$f" 2>/dev/null | grep -E 'BEGIN .*PRIVATE KEY|\$1\$|\$5\$|\$6\$|http://' >/dev/null
done
SH
chmod +x "$work/baseline.sh"

printf '| image | iotassay scan (ms) | peak RSS (MiB) | findings | EMBA-style baseline on its rootfs (ms) | files | speed-up |\n|---|---|---|---|---|---|---|\n'
for img in "$corpus"/real/*; do
  name=$(basename "$img")
  out="$work/u-$name"; "$bin" unpack "$img" -o "$out" >/dev/null 2>&1 || true
  root=$(python3 - "$out/manifest.json" <<'PY'
import json, sys, collections
m = json.load(open(sys.argv[1]))
counts = collections.Counter(r["output"] for r in m["regions"] if r["kind"] in ("filesystem", "archive") and r["output"])
sizes = {o: sum(1 for n in m["nodes"] if n["path"].startswith(o + "/")) for o in counts}
print(max(sizes, key=sizes.get) if sizes else "")
PY
)
  cmds=("$bin scan $img --json $work/a.json --fail-on critical")
  [ -n "$root" ] && cmds+=("$work/baseline.sh $out/$root")
  hyperfine --style none --warmup 1 --runs "$runs" -i --export-json "$work/h.json" "${cmds[@]}" >/dev/null 2>&1
  ts=$(mean "$work/h.json" 0)
  # `scan` exits 1 when it finds something at or above --fail-on: that is not a failure here.
  mem=$( { /usr/bin/time -f %M "$bin" scan "$img" --fail-on critical 2>&1 >/dev/null || true; } | tail -1)
  findings=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$work/a.json")
  if [ -n "$root" ]; then
    tb=$(mean "$work/h.json" 1); files=$(find "$out/$root" -type f | wc -l)
    python3 -c "import sys; s,b=float(sys.argv[1]),float(sys.argv[2]); print(f'| $name | {s*1e3:.0f} | {int(sys.argv[3])//1024} | $findings | {b*1e3:.0f} | $files | {b/s:.1f}x |')" "$ts" "$tb" "$mem"
  else
    python3 -c "import sys; print(f'| $name | {float(sys.argv[1])*1e3:.0f} | {int(sys.argv[2])//1024} | $findings | n/a (no root file system) | | |')" "$ts" "$mem"
  fi
done
