#!/usr/bin/env bash
# The README's main command: compiles the vision DreamNet-3 with dreamc,
# pre-trains its autoencoder without labels, trains the network on real
# Fashion-MNIST and prints the test accuracy.
#
# Fused regions run through their reference steps: dreamc derives their
# kernels (--emit=kernels) but does not link them into trainers yet.
# The network is the model file's DreamNet-3 at width 32 (-D width=32; the
# file's default is 64) so that the job takes minutes on two cores.
# Environment: DREAMC_MAIN_LIMIT (training images, default 6000),
# DREAMC_MAIN_EPOCHS (default 2), DREAMC_MAIN_THREADS (default 2),
# DREAMC_MAIN_WIDTH (default 32).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
"$here/build.sh" dreamc dream-trainer
build="${DREAMC_BUILD:-$root/build}"
work="$build/main-job"
mkdir -p "$work"
limit="${DREAMC_MAIN_LIMIT:-6000}"
epochs="${DREAMC_MAIN_EPOCHS:-2}"
threads="${DREAMC_MAIN_THREADS:-2}"
width="${DREAMC_MAIN_WIDTH:-32}"
model="$root/models/vision/dreamnet3.dream"
plan="$work/dreamnet3.plan.json"
trainer=("$build/runtime/dream-trainer")
export OMP_WAIT_POLICY=passive

echo "== dreamc -D width=$width: $model -> $plan"
"$build/compiler/dreamc" --emit=plan -D width="$width" "$model" -o "$plan"
"${trainer[@]}" info --plan "$plan" | sed -n '1,12p'

echo "== pre-training the autoencoder (reconstruction, no labels)"
"${trainer[@]}" pretrain --plan "$plan" --checkpoint "$work/dn3" \
  --limit "$limit" --epochs 1 --threads "$threads"

echo "== training DreamNet-3 on $limit Fashion-MNIST images, $epochs epochs"
"${trainer[@]}" train --plan "$plan" --checkpoint "$work/dn3" \
  --limit "$limit" --epochs "$epochs" --threads "$threads" \
  --metrics "$work/metrics.jsonl"
