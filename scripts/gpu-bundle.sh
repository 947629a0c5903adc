#!/usr/bin/env bash
# Builds the GPU bundle: a self-contained folder that trains and times vision
# SleepNet-3 and DreamNet-3 on a machine with a GPU and torch, but without
# LLVM, MLIR or this project's build (docs/PERFORMANCE.md, "GPU"). It holds
# the two trainers (PTX for sm_90), the libraries they load that the torch
# wheel does not ship, a Fashion-MNIST subset as IDX files, the networks'
# exported PyTorch modules, and run.sh, which runs them all
# (scripts/gpu-bundle/run_bundle.py) and writes results.json.
#
# usage: scripts/gpu-bundle.sh [--width N] [--train N] [--test N] DIR
#   --width N   the networks' width (default: the models' own, 64)
#   --train N   training examples in the subset (default 4096)
#   --test N    test examples in the subset (default 1024)
# Then, on the GPU machine: DIR/run.sh OUTDIR; here: DIR/run.sh --device cpu OUTDIR.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
# shellcheck source=env.sh
source "$here/env.sh"
build="${DREAMC_BUILD:-$root/build}"
dreamc="$build/compiler/dreamc"
# The limit of what can be carried to the GPU machine with its run.
max_mib=60

die() { echo "gpu-bundle.sh: $*" >&2; exit 1; }

width="" train=4096 test=1024 dir=""
while (($#)); do
  case "$1" in
    --width) width="$2"; shift 2 ;;
    --train) train="$2"; shift 2 ;;
    --test) test="$2"; shift 2 ;;
    -*) die "unknown option $1 (see the usage at the top of $0)" ;;
    *) [[ -z "$dir" ]] || die "one DIR only, not '$dir' and '$1'"; dir="$1"; shift ;;
  esac
done
[[ -n "$dir" ]] || die "usage: scripts/gpu-bundle.sh [--width N] [--train N] [--test N] DIR"
[[ -x "$dreamc" ]] || die "no dreamc in $build: run scripts/build.sh first"
if [[ -e "$dir" && ! -f "$dir/bundle.json" && -n "$(ls -A "$dir")" ]]; then
  die "$dir exists and is no bundle: give a new or empty folder"
fi
rm -rf "$dir"
mkdir -p "$dir"/{bin,lib/fallback,data,models,bench,scripts}
dir="$(cd "$dir" && pwd)"

# The trainers. Their CPU kernels are held to x86-64-v3 (AVX2, FMA), which
# every H100 host CPU has: a trainer checks the level even with --device
# cuda, and `native` here may be AVX-512.
networks=(sleepnet3 dreamnet3)
defines=()
[[ -z "$width" ]] || defines=(-D "width=$width")
for net in "${networks[@]}"; do
  source_file="$root/models/vision/$net.dream"
  "$dreamc" "$source_file" "${defines[@]}" --gpu-chip=sm_90 --cpu=x86-64-v3 \
    -o "$dir/bin/$net"
  "$dreamc" "$source_file" "${defines[@]}" --emit=pytorch -o "$dir/models/$net.py"
done

# What the trainers load that the GPU machine's torch wheel lacks: the
# runtime, the allocator, ICU, zlib and this compiler's libstdc++. Not the
# wheel's own libraries (torch/lib, the nvidia-* packages: run.sh points
# the trainers at the GPU machine's), nor the CUDA toolkit's here, which
# are the same libraries (libcudart), nor glibc or the CUDA driver.
torch_dir="$(cd "$Torch_DIR/../../.." && pwd)"
site_packages="$(dirname "$torch_dir")"
ldd "$dir"/bin/* | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u |
  while read -r library; do
    case "$library" in
      "$torch_dir"/* | "$site_packages"/nvidia/* | /usr/local/cuda*/*) continue ;;
      */libc.so.* | */libm.so.* | */libdl.so.* | */libpthread.so.* | \
        */librt.so.* | */libutil.so.* | */ld-linux*.so.* | */libcuda.so.*) continue ;;
    esac
    case "$library" in
      # Used only where the GPU machine's own are older than the trainers
      # need (run_bundle.py): this libstdc++ needs glibc 2.36, the trainers
      # 2.34, so a newer system's pair is the better one.
      */libstdc++.so.* | */libgcc_s.so.*) cp -L "$library" "$dir/lib/fallback/" ;;
      *) cp -L "$library" "$dir/lib/" ;;
    esac
  done

# The first $train and $test Fashion-MNIST examples as gzipped IDX files,
# named as the full set is, so that both `--data idx:DIR` and
# $DREAMC_FASHION_MNIST (scripts/dream_data.py) read them.
python3 - "$DREAMC_FASHION_MNIST" "$dir/data" "$train" "$test" <<'PYTHON'
import gzip
import sys

source, target, train, test = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for split, count in [("train", train), ("t10k", test)]:
    for kind, header, size in [("images-idx3", 16, 28 * 28), ("labels-idx1", 8, 1)]:
        name = f"{split}-{kind}-ubyte.gz"
        with gzip.open(f"{source}/{name}") as f:
            data = f.read()
        available = int.from_bytes(data[4:8], "big")
        if count > available:
            sys.exit(f"gpu-bundle.sh: {source}/{name} has {available} examples, "
                     f"fewer than the {count} asked for")
        subset = data[:4] + count.to_bytes(4, "big") + data[8:header] + \
            data[header:header + count * size]
        with gzip.open(f"{target}/{name}", "wb") as f:
            f.write(subset)
PYTHON

cp "$root/bench/pytorch_run.py" "$dir/bench/"
cp "$root/scripts/dream_data.py" "$dir/scripts/"
cp "$here/gpu-bundle/run.sh" "$here/gpu-bundle/run_bundle.py" "$dir/"
cat >"$dir/bundle.json" <<JSON
{
  "commit": "$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD || echo -dirty)",
  "networks": {"vision-sleepnet3": "sleepnet3", "vision-dreamnet3": "dreamnet3"},
  "width": "${width:-64}",
  "gpu_chip": "sm_90",
  "train_examples": $train,
  "test_examples": $test
}
JSON

bytes="$(du -sb "$dir" | cut -f1)"
mib="$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1048576}')"
echo "gpu-bundle.sh: $dir: $mib MiB"
if ((bytes > max_mib * 1048576)); then
  die "$dir is $mib MiB, over the $max_mib MiB that can be carried to the GPU machine"
fi
