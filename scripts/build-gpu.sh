#!/usr/bin/env bash
# Builds the `learning-rules` binary with the `cuda` feature (burn-cuda) into
# target/cuda/release/, and a stripped, xz-compressed copy in .gpu/bundle/ to carry to a GPU
# machine without a Rust toolchain (scripts/gpu-check.sh runs it there). The first build compiles
# burn, cubecl and links LLVM statically: about half an hour on 2 cores.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
scripts/setup-gpu.sh
source scripts/gpu-env.sh
gpu_cargo build --release --locked -p learning-rules-cli
BIN="$REPO/target/cuda/release/learning-rules"
mkdir -p .gpu/bundle
strip -o .gpu/bundle/learning-rules "$BIN"
xz -9 -T0 -f -k .gpu/bundle/learning-rules
rm .gpu/bundle/learning-rules
cp scripts/gpu-check.sh scripts/gpu-speed.sh scripts/gpu-binary.sh .gpu/bundle/
ls -l "$BIN" .gpu/bundle/
echo "== built $BIN; to carry: .gpu/bundle/ (run scripts/gpu-check.sh and scripts/gpu-speed.sh on the GPU machine)"
