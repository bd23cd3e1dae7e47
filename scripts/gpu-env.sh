# Source this file (`source scripts/gpu-env.sh`), after scripts/setup-gpu.sh has run once: it
# defines `gpu_cargo`, cargo with the `cuda` feature and what building it offline needs, for
# that one command only. It sets a variable and a function, nothing else.
#
# burn-cuda -> cubecl-cuda -> cubecl-llvm, whose build dependency tracel-llvm-bundler downloads a
# prebuilt LLVM from GitHub unless $XDG_DATA_HOME/tracel/tracel-llvm-23.1.0-4 holds it: setup-gpu.sh
# makes that folder under .gpu/xdg/, pointing at LLVM 23 from PyPI. cubecl-cuda is the copy that
# setup-gpu.sh patched (f32 matmuls stay f32), used through cargo's `paths` override, so that
# Cargo.lock and the CPU build do not change. cudarc picks its CUDA bindings from nvcc when there
# is one; without it, from CUDARC_CUDA_VERSION: 13.0, what the 580 drivers of the GPU machines at
# hand speak.
LEARNING_RULES_GPU="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)/.gpu"
gpu_cargo() {
    XDG_DATA_HOME="$LEARNING_RULES_GPU/xdg" CUDARC_CUDA_VERSION="${CUDARC_CUDA_VERSION:-13000}" \
        cargo "$@" --features cuda --target-dir "${LEARNING_RULES_GPU%/.gpu}/target/cuda" \
        --config "paths = [\"$LEARNING_RULES_GPU/patched/cubecl-cuda-0.11.3\"]"
}
