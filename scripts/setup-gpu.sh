#!/usr/bin/env bash
# What building the `cuda` feature needs, inside the project and nowhere else: LLVM 23 for
# cubecl's PTX back end, from PyPI (`mlc-llvm-static`, two wheels of 60 MB and 32 MB, about
# 400 MB installed), in .gpu/ (git-ignored).
#
# burn-cuda -> cubecl-cuda -> cubecl-llvm, whose build dependency tracel-llvm-bundler downloads a
# prebuilt LLVM from GitHub unless $XDG_DATA_HOME/tracel/tracel-llvm-23.1.0-4 holds the file
# .tracel-llvm-installed. This script makes that folder under .gpu/xdg/, pointing at the PyPI
# LLVM, and defines `gpu_cargo`: cargo with XDG_DATA_HOME set to .gpu/xdg for that one command,
# so nothing else (and nothing in $HOME) sees it. Source it; a second run takes a second.
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

# cubecl-cuda, patched so that f32 matmuls run in f32 rather than TF32 (see the patch), used by
# the cuda builds only, through cargo's `paths` override: Cargo.lock and the CPU build are
# untouched. Remade when the patch changes.
PATCH="$REPO/scripts/patches/cubecl-cuda-0.11.3-f32-matmul.patch"
PATCHED="$GPU/patched/cubecl-cuda-0.11.3"
PATCH_SUM="$(sha256sum "$PATCH" | cut -d' ' -f1)"
if [ "$(cat "$PATCHED/.patch.sha256" 2>/dev/null)" != "$PATCH_SUM" ]; then
    (cd "$REPO" && cargo fetch --quiet --locked)
    REGISTRY_SRC="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/cubecl-cuda-0.11.3 | head -n1)"
    WORK="$(mktemp -d)"  # outside the repository: git apply inside it would resolve paths from its root
    cp -r "$REGISTRY_SRC" "$WORK/cubecl-cuda"
    (cd "$WORK/cubecl-cuda" && git apply -p1 "$PATCH")
    echo "$PATCH_SUM" > "$WORK/cubecl-cuda/.patch.sha256"
    rm -rf "$PATCHED" && mkdir -p "$(dirname "$PATCHED")"
    mv "$WORK/cubecl-cuda" "$PATCHED" && rm -rf "$WORK"
fi

# cudarc picks its CUDA bindings from nvcc when there is one; without it, from this: 13.0, what
# the 580 drivers of the GPU machines at hand speak.
gpu_cargo() {
    XDG_DATA_HOME="$GPU/xdg" CUDARC_CUDA_VERSION="${CUDARC_CUDA_VERSION:-13000}" \
        cargo "$@" --features cuda --target-dir "$REPO/target/cuda" --config "paths = [\"$PATCHED\"]"
}
