#!/usr/bin/env bash
# The default recipe on text (docs/RESULTS.md, "The default recipe"): the
# text LSTM-3 and SleepNet-3 of models/text with their files' recipe (the
# paper's: Adam 0.005, constant, batch 64) and with `preset default`
# (Adam 0.003, batch 32, warm-up then cosine), over seeds, on the sweep's
# text budget: the first 1,000 training and test glosses, 2 epochs.
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
for net in lstm3 sleepnet3; do
  cp "$root"/models/text/*.dream "$work/"
  mkdir -p "$work/default"
  cp "$root"/models/text/*.dream "$work/default/"
  # The file's recipe with `preset default` in place of the paper's and
  # its batch: the default preset's own.
  sed -i 's/^    preset    paper$/    preset    default/; /^    batch     64$/d' \
    "$work/default/$net.dream"
  grep -q 'preset    default' "$work/default/$net.dream" ||
    { echo "default_recipe_text.sh: $net.dream's recipe is not the paper's" >&2; exit 1; }
  "$dreamc" "$work/$net.dream" -o "$work/$net-paper"
  "$dreamc" "$work/default/$net.dream" -o "$work/$net-default"
  for preset in default paper; do
    for seed in "${seeds[@]}"; do
      accuracy=$("$work/$net-$preset" train --limit 1000 --epochs 2 --threads 2 \
        --seed "$seed" 2>/dev/null | sed -n 's/^test accuracy: \([0-9.]*\)%.*/\1/p')
      echo "net $net  preset $preset  seed $seed  test accuracy $accuracy%" | tee -a "$results"
    done
  done
done
python3 "$root/experiments/recipe_raw.py" "$results" \
  "$root/experiments/raw/recipe/default-recipe-text.json" "$root" \
  "experiments/default_recipe_text.sh ${seeds[*]}" "models/text/lstm3.dream, models/text/sleepnet3.dream" \
  "the first 1,000 training and test WordNet glosses, 2 epochs, 2 threads; 'paper' is the files' recipe (Adam 0.005, eps 1e-5, constant, batch 64), 'default' the same files with preset default and no batch of their own"
