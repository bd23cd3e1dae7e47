#!/usr/bin/env bash
# Opens JupyterLab on notebooks/ with the project's Rust kernel (set up first if needed).
#   scripts/lab.sh           the CPU kernel
#   scripts/lab.sh --cuda    the same notebooks on the CUDA kernel (scripts/setup-gpu.sh)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "${1:-}" = --cuda ]; then
    shift
    "$REPO/scripts/setup-gpu.sh" --kernel
    source "$REPO/scripts/env.sh"
    # The notebooks name the `rust` kernel: here that name is the CUDA kernel's.
    export JUPYTER_PATH="$REPO/.gpu/jupyter"
else
    "$REPO/scripts/setup.sh"
    source "$REPO/scripts/env.sh"
fi
# Every notebook names the `rust` kernel; a new one gets it too.
exec jupyter lab --notebook-dir "$REPO/notebooks" --MappingKernelManager.default_kernel_name=rust "$@"
