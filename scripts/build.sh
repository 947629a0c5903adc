#!/usr/bin/env bash
# Installs what is missing (scripts/setup.sh), then configures and builds
# dreamc in ${DREAMC_BUILD:-build}. Used by scripts/test.sh and scripts/main.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
"$here/setup.sh"
# shellcheck source=env.sh
source "$here/env.sh"
build="${DREAMC_BUILD:-$root/build}"
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
# Two cores: two jobs, so a LibTorch translation unit never waits on swap.
ninja -C "$build" -j "${DREAMC_JOBS:-2}" "$@"
