#!/usr/bin/env bash
# The README's main command: compiles the vision DreamNet-3 with dreamc,
# pre-trains its autoencoder without labels, trains the network on real
# Fashion-MNIST and prints the test accuracy.
#
# `dreamc -o` builds one trainer executable: the plan and the fused
# kernels (x86-64 code generated through the dream dialect) linked with the
# LibTorch runtime. The network is the model file's DreamNet-3 at width 32
# (-D width=32; the file's default is 64) so that the job takes minutes on
# two cores.
# Environment: DREAMC_MAIN_LIMIT (training images, default 6000),
# DREAMC_MAIN_EPOCHS (default 2), DREAMC_MAIN_THREADS (default 2),
# DREAMC_MAIN_WIDTH (default 32).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
"$here/build.sh" dreamc dreamrt dreamrt_main
build="${DREAMC_BUILD:-$root/build}"
work="$build/main-job"
mkdir -p "$work"
limit="${DREAMC_MAIN_LIMIT:-6000}"
epochs="${DREAMC_MAIN_EPOCHS:-2}"
threads="${DREAMC_MAIN_THREADS:-2}"
width="${DREAMC_MAIN_WIDTH:-32}"
model="$root/models/vision/dreamnet3.dream"
trainer="$work/dreamnet3"
export OMP_WAIT_POLICY=passive

echo "== dreamc -D width=$width $model -o $trainer"
"$build/compiler/dreamc" -D width="$width" "$model" -o "$trainer"
"$trainer" info | sed -n '1,12p'

echo "== pre-training the autoencoder (reconstruction, no labels)"
"$trainer" pretrain --checkpoint "$work/dn3" \
  --limit "$limit" --epochs 1 --threads "$threads"

echo "== training DreamNet-3 on $limit Fashion-MNIST images, $epochs epochs"
"$trainer" train --checkpoint "$work/dn3" \
  --limit "$limit" --epochs "$epochs" --threads "$threads" \
  --metrics "$work/metrics.jsonl"
