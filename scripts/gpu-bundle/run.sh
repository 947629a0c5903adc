#!/usr/bin/env bash
# Runs a GPU bundle (scripts/gpu-bundle.sh): finds a Python that imports
# torch and hands over to run_bundle.py, which runs the trainers against
# that torch's libraries and writes OUTDIR/results.json and OUTDIR/log.txt.
#
# usage: run.sh [--device cuda|cpu] [--threads N] OUTDIR
# $DREAMC_PYTHON names the Python to use; otherwise the first of python3,
# python and /usr/bin/python3 that imports torch.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for candidate in "${DREAMC_PYTHON:-}" python3 python /usr/bin/python3; do
  if [[ -n "$candidate" ]] && "$candidate" -c 'import torch' 2>/dev/null; then
    exec "$candidate" "$here/run_bundle.py" "$@"
  fi
done
echo "run.sh: no Python here imports torch (tried \$DREAMC_PYTHON, python3," \
  "python, /usr/bin/python3): set DREAMC_PYTHON to one that does" >&2
exit 1
