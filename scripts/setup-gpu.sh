#!/usr/bin/env bash
# Installs what the `cuda` feature needs, inside the project and nowhere else (.gpu/, git-ignored),
# once; running it again takes a second. Then `source scripts/gpu-env.sh` gives `gpu_cargo`.
#   .gpu/venv, .gpu/xdg/   LLVM 23 for cubecl's PTX back end, from PyPI (`mlc-llvm-static`, two
#                          wheels of 60 MB and 32 MB, about 400 MB installed)
#   .gpu/patched/          cubecl-cuda 0.11.3 with scripts/patches/cubecl-cuda-0.11.3-f32-matmul.patch
#   .gpu/jupyter/kernels/rust/, .venv/share/jupyter/kernels/rust-cuda/
#                          the notebooks' kernel for the GPU, "Rust (learning-rules, CUDA)": the
#                          same evcxr and the same notebook files; see below for how it gets the
#                          `cuda` feature. `scripts/lab.sh --cuda` opens the notebooks on it.
#   .gpu/kernel/build/     that kernel's build folder, compiled by `scripts/setup-gpu.sh --kernel`
#                          (burn-cuda and LLVM: 57 min and 1.7 GB on 2 cores, once; the kernel
#                          compiles it at start-up, so it must exist before a notebook opens)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GPU="$REPO/.gpu"
LLVM_PACKAGE="mlc-llvm-static[all]==23.1.1.post0"
BUNDLE="$GPU/xdg/tracel/tracel-llvm-23.1.0-4"

if [ ! -x "$GPU/venv/bin/python" ]; then
    python3 -m venv "$GPU/venv"
fi
if [ ! -f "$BUNDLE/.tracel-llvm-installed" ]; then
    echo "== installing LLVM 23 ($LLVM_PACKAGE, ~92 MB download) into .gpu/"
    "$GPU/venv/bin/pip" install --quiet --disable-pip-version-check "$LLVM_PACKAGE"
    STATIC="$("$GPU/venv/bin/python" -c 'import mlc_llvm_static, os; print(os.path.join(os.path.dirname(mlc_llvm_static.__file__), "static"))')"
    [ -x "$STATIC/bin/llvm-config" ] || { echo "no llvm-config in $STATIC" >&2; exit 1; }
    mkdir -p "$(dirname "$BUNDLE")"
    ln -sfn "$STATIC" "$BUNDLE"
    touch "$BUNDLE/.tracel-llvm-installed"
fi

# cubecl-cuda, patched so that f32 matmuls run in f32 rather than TF32 (see the patch). Remade
# when the patch changes.
PATCH="$REPO/scripts/patches/cubecl-cuda-0.11.3-f32-matmul.patch"
PATCHED="$GPU/patched/cubecl-cuda-0.11.3"
PATCH_SUM="$(sha256sum "$PATCH" | cut -d' ' -f1)"
if [ "$(cat "$PATCHED/.patch.sha256" 2>/dev/null)" != "$PATCH_SUM" ]; then
    (cd "$REPO" && cargo fetch --quiet --locked)
    REGISTRY_SRC="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/cubecl-cuda-0.11.3 | head -n1)"
    (
        WORK="$(mktemp -d)"  # outside the repository: git apply inside it would resolve paths from its root
        trap 'rm -rf "$WORK"' EXIT
        cp -r "$REGISTRY_SRC" "$WORK/cubecl-cuda"
        (cd "$WORK/cubecl-cuda" && git apply -p1 "$PATCH")
        echo "$PATCH_SUM" > "$WORK/cubecl-cuda/.patch.sha256"
        rm -rf "$PATCHED" && mkdir -p "$(dirname "$PATCHED")"
        mv "$WORK/cubecl-cuda" "$PATCHED"
    )
fi

# The CUDA kernel. The notebooks' `:dep learning-rules = { path = "../crates/learning-rules" }`
# stays as it is; the `cuda` feature comes from cargo's feature unification: at start-up this
# kernel runs `init.evcxr` from its own config folder (EVCXR_CONFIG_DIR), which adds a second
# dependency, .gpu/kernel/cuda-feature, a crate that only depends on learning-rules with
# `features = ["cuda"]`; cargo builds the one learning-rules with the union of the features.
# Its builds run in .gpu/kernel/build/, its own folder (a CUDA build of burn beside the CPU
# one in .evcxr/), where cargo reads .gpu/kernel/.cargo/config.toml (the patched cubecl-cuda,
# through `paths`) and the repository's .cargo/config.toml (the release settings). The LLVM
# folder and the CUDA version reach that cargo through the kernel's environment.
"$REPO/scripts/setup.sh" >/dev/null
KERNEL="$GPU/kernel"
mkdir -p "$KERNEL/build" "$KERNEL/config" "$KERNEL/.cargo" "$KERNEL/cuda-feature/src"
cat > "$KERNEL/cuda-feature/Cargo.toml" <<TOML
# Made by scripts/setup-gpu.sh: turns on learning-rules' \`cuda\` feature for the CUDA kernel.
[package]
name = "learning-rules-cuda-feature"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
learning-rules = { path = "$REPO/crates/learning-rules", features = ["cuda"] }
TOML
: > "$KERNEL/cuda-feature/src/lib.rs"
printf ':dep learning-rules-cuda-feature = { path = "%s" }\n' "$KERNEL/cuda-feature" > "$KERNEL/config/init.evcxr"
printf '# Made by scripts/setup-gpu.sh, for the CUDA kernel'"'"'s builds only.\npaths = ["%s"]\n' "$PATCHED" > "$KERNEL/.cargo/config.toml"
CPU_SPEC="$REPO/.venv/share/jupyter/kernels/rust"
EVCXR_BIN="$("$REPO/.venv/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["argv"][0])' "$CPU_SPEC/kernel.json")"
for SPEC in "$GPU/jupyter/kernels/rust" "$REPO/.venv/share/jupyter/kernels/rust-cuda"; do
    rm -rf "$SPEC" && mkdir -p "$(dirname "$SPEC")" && cp -r "$CPU_SPEC" "$SPEC"
    cat > "$SPEC/kernel.json" <<JSON
{
  "argv": ["$EVCXR_BIN", "--control_file", "{connection_file}"],
  "display_name": "Rust (learning-rules, CUDA)",
  "language": "rust",
  "interrupt_mode": "message",
  "env": {
    "EVCXR_TMPDIR": "$KERNEL/build",
    "EVCXR_CONFIG_DIR": "$KERNEL/config",
    "XDG_DATA_HOME": "$GPU/xdg",
    "CUDARC_CUDA_VERSION": "13000"
  }
}
JSON
done
if [ "${1:-}" = --kernel ] && [ ! -f "$KERNEL/build/.built" ]; then
    echo "== building the CUDA kernel's folder .gpu/kernel/build (about an hour on 2 cores, once)"
    JUPYTER_PATH="$GPU/jupyter" "$REPO/.venv/bin/python" "$REPO/scripts/notebooks.py" --start-kernel
    touch "$KERNEL/build/.built"
fi
echo "== ready: gpu_cargo (source scripts/gpu-env.sh); CUDA kernel in .gpu/jupyter (scripts/lab.sh --cuda)"
