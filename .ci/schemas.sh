#!/usr/bin/env bash
# Installs the official JSON schemas the tests validate against, from the package registries
# that ship them (never committed: the project does not commit files fetched from elsewhere):
#   sarif-2.1.0-rtm.5.json   npm @microsoft/jest-sarif 1.0.0-beta.0, lib/schemas/ (MIT; the OASIS
#                            SARIF 2.1.0 schema as published with the standard)
#   bom-1.6.SNAPSHOT.schema.json, spdx.SNAPSHOT.schema.json, jsf-0.82.SNAPSHOT.schema.json
#                            PyPI cyclonedx-python-lib 11.12.0, cyclonedx/schema/_res/ (Apache-2.0;
#                            CycloneDX 1.6 and the schemas it references)
# Into $IOTASSAY_SCHEMAS (default /usr/local/share/iotassay/schemas), where the tests look.
set -euo pipefail
dest="${IOTASSAY_SCHEMAS:-/usr/local/share/iotassay/schemas}"
want=(sarif-2.1.0-rtm.5.json bom-1.6.SNAPSHOT.schema.json spdx.SNAPSHOT.schema.json jsf-0.82.SNAPSHOT.schema.json)
have=1
for f in "${want[@]}"; do [ -s "$dest/$f" ] || have=0; done
[ "$have" = 1 ] && { echo "schemas present in $dest"; exit 0; }
mkdir -p "$dest"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null \
  && tar -xzf microsoft-jest-sarif-1.0.0-beta.0.tgz package/lib/schemas/sarif-2.1.0-rtm.5.json \
  && cp package/lib/schemas/sarif-2.1.0-rtm.5.json "$dest/" )
python3 -m pip download --quiet --no-deps --dest "$tmp/py" cyclonedx-python-lib==11.12.0
python3 - "$tmp/py" "$dest" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/cyclonedx_python_lib-11.12.0-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    for name in ("bom-1.6", "spdx", "jsf-0.82"):
        data = z.read(f"cyclonedx/schema/_res/{name}.SNAPSHOT.schema.json")
        open(f"{sys.argv[2]}/{name}.SNAPSHOT.schema.json", "wb").write(data)
PY
for f in "${want[@]}"; do [ -s "$dest/$f" ] || { echo "missing $dest/$f" >&2; exit 1; }; done
echo "schemas installed in $dest"
