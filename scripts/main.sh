#!/usr/bin/env bash
# The README's main command. Until the runtime lands (issue 4) the main job
# compiles every bundled model with `dreamc --emit=ast` and prints what the
# compiler found: each network, its connections and their adapters.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
"$here/build.sh" dreamc
build="${DREAMC_BUILD:-$root/build}"
for model in "$root"/models/*/*.dream; do
  echo "== ${model#"$root"/}"
  "$build/compiler/dreamc" --emit=ast "$model" |
    grep -E '^(Network|Encoder|Autoencoder)|^  input|Sleep |Dream ' |
    sed -E 's/^ +/  /'
done
