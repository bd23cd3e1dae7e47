#!/usr/bin/env bash
# The performance benchmark: learning-rules against PyTorch and JAX on this machine, one run.
#   scripts/bench.sh [--rounds N]    full comparison, N interleaved rounds (default 3; sets up
#                                    .venv-bench: torch, jax[cpu]; ~3 GB)
#   scripts/bench.sh --ours-only     just `learning-rules bench` (no Python needed)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --locked -p learning-rules-cli
if [ "${1:-}" = "--ours-only" ]; then
    exec target/release/learning-rules bench --json output/bench/learning-rules.json
fi
if ! .venv-bench/bin/python -c 'import torch, jax' 2>/dev/null; then
    echo "== installing PyTorch and JAX (CPU) into .venv-bench"
    python3 -m venv .venv-bench
    .venv-bench/bin/pip install --quiet --disable-pip-version-check torch numpy "jax[cpu]"
fi
.venv-bench/bin/python bench/peers.py "$@"
