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
#   .gpu/kernel/           its init file, cargo settings and the crate that turns `cuda` on
#   ~/.cache/learning-rules/kernel-<key>/
#                          its settings and shared build (scripts/kernel_files.py), compiled by
#                          `scripts/setup-gpu.sh --kernel` (burn-cuda and LLVM: 57 min and 1.7 GB
#                          on 2 cores, once)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GPU="$REPO/.gpu"
LLVM_PACKAGE="mlc-llvm-static[all]==23.1.1.post0"
BUNDLE="$GPU/xdg/tracel/tracel-llvm-23.1.0-4"

"$REPO/scripts/setup.sh" >/dev/null  # the CPU kernel, whose evcxr this one shares, and .venv
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
    # Where cargo keeps cubecl-cuda's source, as cargo itself says (the cuda feature's graph).
    REGISTRY_SRC="$(cd "$REPO" && cargo metadata --quiet --locked --format-version 1 --features learning-rules/cuda \
        | "$REPO/.venv/bin/python" "$REPO/scripts/kernel_files.py" package-dirs cubecl-cuda | cut -d' ' -f2-)"
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

# The CUDA kernel: the same patched evcxr and notebook files, its own settings and shared build
# (scripts/kernel_files.py). The `cuda` feature comes from cargo's feature unification: at
# start-up the kernel runs `init.evcxr` from its settings folder, which adds one dependency,
# .gpu/kernel/cuda-feature, a crate that only depends on learning-rules with `features =
# ["cuda"]`; cargo builds the one learning-rules with the union of the features. Its builds use
# the patched cubecl-cuda (cargo's `paths`, in the kernel's cargo settings); the LLVM folder and
# the CUDA version reach cargo through the kernel's environment.
KERNEL="$GPU/kernel"
mkdir -p "$KERNEL/cuda-feature/src"
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
printf ':dep learning-rules-cuda-feature = { path = "%s" }\n' "$KERNEL/cuda-feature" > "$KERNEL/init.evcxr"
printf '[cargo]\n# The patched cubecl-cuda (f32 matmuls stay f32).\npaths = ["%s"]\n' "$PATCHED" > "$KERNEL/cargo.toml"
CPU_SPEC="$REPO/.venv/share/jupyter/kernels/rust"
EVCXR_BIN="$("$REPO/.venv/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["argv"][0])' "$CPU_SPEC/kernel.json")"
# The CUDA kernel's shared build compiles burn-cuda: 57 min and 1.7 GB on 2 cores, once, with --kernel.
BUILD=(--no-build)
[ "${1:-}" = --kernel ] && BUILD=()
for SPEC in "$GPU/jupyter/kernels/rust" "$REPO/.venv/share/jupyter/kernels/rust-cuda"; do
    rm -rf "$SPEC" && mkdir -p "$(dirname "$SPEC")" && cp -r "$CPU_SPEC" "$SPEC"
    "$REPO/.venv/bin/python" "$REPO/scripts/kernel_files.py" install "${BUILD[@]}" \
        --evcxr "$EVCXR_BIN" --kernel-root "${LEARNING_RULES_KERNEL_ROOT:-$HOME/.cache/learning-rules}" \
        --spec "$SPEC" --display-name "Rust (learning-rules, CUDA)" \
        --extra-cargo "$KERNEL/cargo.toml" --init "$KERNEL/init.evcxr" \
        --env "XDG_DATA_HOME=$GPU/xdg" --env "CUDARC_CUDA_VERSION=13000"
    BUILD=(--no-build)  # the second spec names the same shared build
done
echo "== ready: gpu_cargo (source scripts/gpu-env.sh); CUDA kernel in .gpu/jupyter (scripts/lab.sh --cuda)"
