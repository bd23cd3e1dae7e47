#!/usr/bin/env bash
# Opens JupyterLab on notebooks/ with the project's Rust kernel (set up first if needed).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$REPO/scripts/setup.sh"
source "$REPO/scripts/env.sh"
# Every notebook names the `rust` kernel; a new one gets it too.
exec jupyter lab --notebook-dir "$REPO/notebooks" --MappingKernelManager.default_kernel_name=rust "$@"
