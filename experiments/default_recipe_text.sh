#!/usr/bin/env bash
# The default recipe on text (docs/RESULTS.md, "The default recipe"): the
# text LSTM-3 and SleepNet-3 of models/text with their files' recipe
# (`preset default`: Adam 0.003, batch 32, warm-up then cosine) and with
# the paper's (dreamc --preset paper: Adam 0.005, constant; batch 64, the
# text models' batch before), over seeds, on the sweep's text budget: the
# first 1,000 training and test glosses, 2 epochs.
# Writes experiments/raw/recipe/default-recipe-text.json.
#
#   source scripts/env.sh && experiments/default_recipe_text.sh [SEEDS...]   # default: 0 1 2
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dreamc="${DREAMC_BUILD:-$root/build}/compiler/dreamc"
if (($#)); then seeds=("$@"); else seeds=(0 1 2); fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export OMP_WAIT_POLICY=passive

results="$work/results.txt"
commit=$(git -C "$root" describe --always --dirty)
for net in lstm3 sleepnet3; do
  # The file's recipe (`preset default`), and the paper's with the batch of
  # 64 that the text models had before.
  "$dreamc" "$root/models/text/$net.dream" -o "$work/$net-default"
  "$dreamc" --preset paper "$root/models/text/$net.dream" -o "$work/$net-paper"
  for preset in default paper; do
    batch=(); [[ $preset == default ]] || batch=(--batch 64)
    for seed in "${seeds[@]}"; do
      accuracy=$("$work/$net-$preset" train --limit 1000 --epochs 2 --threads 2 \
        --seed "$seed" "${batch[@]}" 2>/dev/null | sed -n 's/^test accuracy: \([0-9.]*\)%.*/\1/p')
      echo "net $net  preset $preset  seed $seed  test accuracy $accuracy%" | tee -a "$results"
    done
  done
done
python3 "$root/experiments/recipe_raw.py" "$results" \
  "$root/experiments/raw/recipe/default-recipe-text.json" "$commit" \
  "experiments/default_recipe_text.sh ${seeds[*]}" "models/text/lstm3.dream, models/text/sleepnet3.dream" \
  "the first 1,000 training and test WordNet glosses, 2 epochs, 2 threads; 'default' is the files' recipe (preset default), 'paper' the paper's (Adam 0.005, eps 1e-5, constant) at batch 64"
