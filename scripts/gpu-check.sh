#!/usr/bin/env bash
# On a machine with an NVIDIA GPU (driver for CUDA 13.0 or newer), no network and no Rust: runs
# the cuda build of `learning-rules` (from scripts/build-gpu.sh) on the GPU and on the CPU through
# burn, 24b for one epoch and 24c for 2,000 samples, prints seconds per epoch for each, and
# checks that the weights agree to 1e-3 after the same updates. Run from the repository root:
#   scripts/gpu-check.sh [path/to/learning-rules[.xz]]     (default .gpu/bundle/learning-rules.xz)
# Logs, histories and weights go to $GPU_CHECK_OUT (default output/gpu-check).
set -euo pipefail
BIN="${1:-.gpu/bundle/learning-rules.xz}"
OUT="${GPU_CHECK_OUT:-output/gpu-check}"
mkdir -p "$OUT"
if [[ "$BIN" == *.xz ]]; then
    UNPACKED="$(mktemp -d)/learning-rules"
    xz -dc "$BIN" > "$UNPACKED"
    chmod +x "$UNPACKED"
    BIN="$UNPACKED"
fi
# cubecl's PTX path needs libdevice for exp and log; point it at the CUDA toolkit's.
if [ -z "${CUDA_PATH:-}" ]; then
    for dir in /usr/local/cuda /usr/local/cuda-* /opt/cuda; do
        if [ -f "$dir/nvvm/libdevice/libdevice.10.bc" ]; then export CUDA_PATH="$dir"; break; fi
    done
fi
echo "== GPU: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo none found)"
echo "== CUDA_PATH=${CUDA_PATH:-unset}"

run() {  # name device rule args...
    local name="$1" device="$2" rule="$3"; shift 3
    "$BIN" train --rule "$rule" --device "$device" --engine burn --out "$OUT/$name-$device" \
        --weights "$OUT/$name-$device/weights.json" "$@" > "$OUT/$name-$device.log" 2>&1 \
        || { echo "$name on $device failed:"; tail -5 "$OUT/$name-$device.log"; return 1; }
    local seconds
    seconds=$(python3 -c "import json,sys; h=json.load(open(sys.argv[1])); e=h['epochs'][-1]; print(f\"{e['seconds']:.2f} s of training, loss {e['train_loss']:.6f}, test accuracy {e['test_accuracy']:.2f}%\")" \
        "$OUT/$name-$device/$rule.json")
    echo "$name on $device: $seconds"
}

status=0
# Ten updates first: how close the two devices are before float rounding compounds.
run 24b-10-updates cpu minibatch --epochs 1 --train-samples 1000 || status=1
run 24b-10-updates cuda minibatch --epochs 1 --train-samples 1000 || status=1
run 24b cpu minibatch --epochs 1 || status=1
run 24b cuda minibatch --epochs 1 || status=1
run 24c cpu per-sample --epochs 1 --train-samples 2000 || status=1
run 24c cuda per-sample --epochs 1 --train-samples 2000 || status=1

python3 - "$OUT" <<'PY' || status=1
import json, sys
out = sys.argv[1]
worst = 0.0
for name in ["24b-10-updates", "24b", "24c"]:
    try:
        a = json.load(open(f"{out}/{name}-cuda/weights.json"))
        b = json.load(open(f"{out}/{name}-cpu/weights.json"))
    except OSError as e:
        print(f"{name}: {e}"); sys.exit(1)
    # Relative to each layer's largest weight, as the engine tests compare: a GPU sums in
    # another order, so single near-zero weights differ in relative terms however close the run.
    diff = max(max(abs(x - y) for x, y in zip(la[k], lb[k])) / max(abs(y) for y in lb[k])
               for la, lb in zip(a["layers"], b["layers"]) for k in ("weight", "bias"))
    print(f"{name}: weights cuda vs cpu, max |difference| / max |weight| per tensor {diff:.2e}")
    worst = max(worst, diff)
sys.exit(0 if worst <= 1e-3 else 1)
PY
rm -f "$OUT"/*/weights.json  # 7 MB each; compared above
[ $status = 0 ] && echo "== GPU check passed" || echo "== GPU check FAILED"
exit $status
