#!/usr/bin/env bash
# Regenerates the committed parity fixtures under test/fixtures/ with the reference generator
# (../shared/reference/make_fixture.py). Needs Debian's python3-torch; never run by npm test.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for c in /usr/bin/python3 python3; do
    if "$c" -c 'import torch' 2>/dev/null; then PY=$c; break; fi
  done
fi
[ -n "$PY" ] || { echo "python3 with torch not found: apt-get install -y python3-torch python3-numpy" >&2; exit 1; }
GEN=${BAGNET_REFERENCE:-../shared/reference/make_fixture.py}
"$PY" "$GEN" --q 9 17 33 --width-scale 0.125 --blocks 1,1,1,1 --num-classes 10 --threads 2 --out test/fixtures
