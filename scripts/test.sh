#!/usr/bin/env bash
# Every test of the project: formatting, lints and docs; the Rust crates (loader, network, the
# three rules, the notebooks' loops against train(), the lecture's full runs, charts read back
# from their SVG, the CLI); then the four notebooks executed headlessly in quick mode, kernels
# side by side over the shared build, Stop during training through the kernel, 24b run in
# JupyterLab in a real browser, the class hub with three students and its load test at N = 2
# (as root: they make system users); scripts/gpu-check.sh without a GPU. Sets up what it needs.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export PATH="$HOME/.cargo/bin:$PATH"

# Debian packages: the second dataset (the loader's Fashion-MNIST test) and the browser.
missing=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || [ -d data/fashion-mnist ] \
    || missing+=(dataset-fashion-mnist)
command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing Debian's ${missing[*]}"
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "== formatting, lints, docs"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

echo "== the GPU path type-checks: cargo check --features cuda, offline, LLVM from PyPI"
scripts/setup-gpu.sh  # runs scripts/setup.sh first: the kernel, and the CUDA kernel's spec
source scripts/gpu-env.sh
gpu_cargo check --workspace --all-targets --locked

echo "== Rust tests (release build: the lecture's full runs are among them)"
cargo test --release --workspace --locked

source scripts/env.sh
echo "== notebooks: quick mode, kernels side by side, Stop, 24b in chromium, the class hub; gpu-check.sh"
python -m pytest tests -v
