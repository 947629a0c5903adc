#!/usr/bin/env bash
# The measurement behind `preset default` and `grid_classifier`
# (docs/RESULTS.md, "The default recipe"): the main job's DreamNet-3
# (width 16, 12,000 training images, 2 epochs, the 10,000 test images)
# with the paper's recipe and the default one, each with the global-pool
# head (`classifier`) the paper networks had and the grid head they have
# now, over seeds. One autoencoder, pre-trained once, serves every run.
# Prints one line per run and writes them, with the commit and the machine,
# to experiments/raw/recipe/default-recipe.json, from which
# `python experiments/sweep.py report` writes the section of RESULTS.
#
#   source scripts/env.sh && experiments/default_recipe.sh [SEEDS...]   # default: seeds 0 to 4
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dreamc="${DREAMC_BUILD:-$root/build}/compiler/dreamc"
if (($#)); then seeds=("$@"); else seeds=(0 1 2 3 4); fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export OMP_WAIT_POLICY=passive

cp "$root"/models/vision/dreamnet3.dream "$root"/models/vision/dream_connection.dream "$work"
sed 's/grid_classifier(classes)/classifier(classes)/' "$root/models/vision/dreamnet3.dream" \
  >"$work/dreamnet3_pool.dream"
grep -q ' classifier(classes)' "$work/dreamnet3_pool.dream" ||
  { echo "default_recipe.sh: dreamnet3.dream has no grid_classifier head" >&2; exit 1; }

"$dreamc" -D width=16 "$work/dreamnet3.dream" -o "$work/ae-trainer"
"$work/ae-trainer" pretrain --checkpoint "$work/ae" --limit 12000 --epochs 1 \
  --threads 2 >/dev/null 2>&1

results="$work/results.txt"
commit=$(git -C "$root" describe --always --dirty)
for head in grid pool; do
  file="$work/dreamnet3.dream"
  [[ $head == grid ]] || file="$work/dreamnet3_pool.dream"
  for preset in default paper; do
    trainer="$work/$head-$preset"
    "$dreamc" --preset "$preset" -D width=16 "$file" -o "$trainer"
    for seed in "${seeds[@]}"; do
      ck="$work/ck-$head-$preset-$seed"
      mkdir -p "$ck" && cp -r "$work/ae/encoders" "$ck/"
      accuracy=$("$trainer" train --checkpoint "$ck" --limit 12000 --epochs 2 \
        --threads 2 --seed "$seed" 2>/dev/null |
        sed -n 's/^test accuracy: \([0-9.]*\)%.*/\1/p')
      echo "head $head  preset $preset  seed $seed  test accuracy $accuracy%" | tee -a "$results"
    done
  done
done
python3 "$root/experiments/recipe_raw.py" "$results" \
  "$root/experiments/raw/recipe/default-recipe.json" "$commit" \
  "experiments/default_recipe.sh ${seeds[*]}" "models/vision/dreamnet3.dream -D width=16" \
  "autoencoder pre-trained once (1 epoch, 12,000 images); each run trains 2 epochs on the first 12,000 training images, 2 threads, and is tested on the 10,000 test images"
