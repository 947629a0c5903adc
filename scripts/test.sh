#!/usr/bin/env bash
# The README's test command: from a fresh clone, installs everything, builds,
# and runs every test (lit + FileCheck suites and GoogleTest suites) via ctest.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/build.sh"
# shellcheck source=env.sh
source "$here/env.sh"
build="${DREAMC_BUILD:-$(dirname "$here")/build}"
ctest --test-dir "$build" --output-on-failure -j "${DREAMC_JOBS:-2}"
