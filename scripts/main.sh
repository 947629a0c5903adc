#!/usr/bin/env bash
# The README's main command: compiles the vision DreamNet-3 with dreamc,
# pre-trains its autoencoder without labels, trains the network on real
# Fashion-MNIST with the model file's recipe (`preset default`), prints the
# test accuracy on the 10,000 test images, and leaves the dreams and the
# training curves as PNG files.
#
# `dreamc -o` builds one trainer executable: the plan and the fused
# kernels (x86-64 code generated through the dream dialect) linked with the
# LibTorch runtime. The network is the model file's DreamNet-3 at width 16
# (-D width=16; the file's default is 64) so that the job takes under a
# minute on two cores. Set DREAMC_MAIN_PRESET=paper for the paper's recipe.
# Environment: DREAMC_MAIN_LIMIT (training images, default 12000),
# DREAMC_MAIN_EPOCHS (default 2), DREAMC_MAIN_THREADS (default 2),
# DREAMC_MAIN_WIDTH (default 16), DREAMC_MAIN_PRESET (default: the file's).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
"$here/build.sh" dreamc dreamrt dreamrt_main
# shellcheck source=env.sh
source "$here/env.sh"
build="${DREAMC_BUILD:-$root/build}"
work="$build/main-job"
mkdir -p "$work"
limit="${DREAMC_MAIN_LIMIT:-12000}"
epochs="${DREAMC_MAIN_EPOCHS:-2}"
threads="${DREAMC_MAIN_THREADS:-2}"
width="${DREAMC_MAIN_WIDTH:-16}"
preset=(); [[ -z "${DREAMC_MAIN_PRESET:-}" ]] || preset=(--preset "$DREAMC_MAIN_PRESET")
model="$root/models/vision/dreamnet3.dream"
trainer="$work/dreamnet3"
export OMP_WAIT_POLICY=passive

echo "== dreamc ${preset[*]} -D width=$width $model -o $trainer"
"$build/compiler/dreamc" "${preset[@]}" -D width="$width" "$model" -o "$trainer"
"$trainer" info | sed -n '1,12p'

echo "== pre-training the autoencoder (reconstruction, no labels)"
"$trainer" pretrain --checkpoint "$work/dn3" \
  --limit "$limit" --epochs 1 --threads "$threads"

echo "== training DreamNet-3 on $limit Fashion-MNIST images, $epochs epochs"
"$trainer" train --checkpoint "$work/dn3" \
  --limit "$limit" --epochs "$epochs" --threads "$threads" \
  --metrics "$work/metrics.jsonl" --log-every 10

echo "== the dreams and the training curves"
"$trainer" dream --checkpoint "$work/dn3" --out "$work/dreams.png" >/dev/null
"$DREAMC_VENV/bin/python" "$here/plot_metrics.py" "$work/metrics.jsonl" "$work/curves.png"
echo "dreams:          $work/dreams.png (test images, then what each dream block dreams of them)"
echo "training curves: $work/curves.png (from $work/metrics.jsonl)"
