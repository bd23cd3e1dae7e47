#!/usr/bin/env bash
# 24b in quick mode on the notebooks' CUDA kernel, on this machine: with a usable GPU it trains
# there; without one the network cell names why and training falls back to the CPU. Builds the
# kernel's folder first (scripts/setup-gpu.sh --kernel: about an hour on 2 cores, once),
# which is why scripts/test.sh, and so CI, checks only the kernel's spec.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$REPO/scripts/setup-gpu.sh" --kernel
source "$REPO/scripts/env.sh"
cd "$REPO"
LEARNING_RULES_CUDA_KERNEL=1 python -m pytest tests/test_cuda_kernel.py -v
