# Sourced by gpu-check.sh and gpu-speed.sh, on the GPU machine: `gpu_binary PATH FOLDER` sets BIN
# to the `learning-rules` at PATH as an absolute path, unpacked into FOLDER when PATH is the
# bundle's .xz; points CUDA_PATH at the CUDA toolkit (cubecl's PTX path needs its libdevice for
# exp and log) unless it is set; prints the GPU it sees.
gpu_binary() {
    BIN="$1"
    if [[ "$BIN" == *.xz ]]; then
        xz -dc "$BIN" > "$2/learning-rules"
        chmod +x "$2/learning-rules"
        BIN="$2/learning-rules"
    fi
    BIN="$(realpath "$BIN")"
    if [ -z "${CUDA_PATH:-}" ]; then
        for dir in /usr/local/cuda /usr/local/cuda-* /opt/cuda; do
            if [ -f "$dir/nvvm/libdevice/libdevice.10.bc" ]; then export CUDA_PATH="$dir"; break; fi
        done
    fi
    echo "== GPU: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo none found)"
}
