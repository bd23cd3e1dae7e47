#!/usr/bin/env bash
# On a machine with an NVIDIA GPU (driver for CUDA 13.0 or newer), no network and no Rust: runs
# the cuda build of `learning-rules` (from scripts/build-gpu.sh) on the GPU and on the CPU through
# burn, 24b for one epoch and 24c for 2,000 samples, prints seconds per epoch for each, and
# checks that both devices train the same network. Run from the repository root:
#   scripts/gpu-check.sh [path/to/learning-rules[.xz]]     (default .gpu/bundle/learning-rules.xz)
# Logs and histories go to $GPU_CHECK_OUT (default output/gpu-check). With GPU_CHECK_CPU_ONLY=1
# it runs the CPU half only (what a machine without a GPU can check of the script and binary).
#
# What is checked, and why (figures measured on the CPU, burn against the fused engine, which
# sum in different orders like a GPU does):
#  - 24b's first 10 updates and 24c's 2,000: weights agree to 1e-3 of each tensor's largest
#    weight (the two CPU engines: 1.4e-6 and 1.2e-6).
#  - 24b's whole epoch, 600 updates at lr 0.1: the epoch's loss agrees to 1e-3 (relative) and
#    test accuracy to 0.2 points. Its weights are printed beside the CPU engines' gap, not
#    checked: in that run the gap grows from 8e-7 to 3.8e-4 in one update (the 109th), as one
#    ReLU on the edge of zero flips in one engine only, and reaches 2.2e-2 by the epoch's end,
#    with losses equal to 1e-5. Any two correct float32 implementations can do that.
#  - 24b's 10 updates once more with TF32 allowed (CUBECL_CUDA_TF32=1), printed only: the
#    build keeps f32 matmuls in f32 (scripts/patches/cubecl-cuda-*.patch); this shows the
#    difference the patch makes on this GPU.
#  - Stop and the time budget on the GPU (on the CPU with GPU_CHECK_CPU_ONLY=1): SIGINT 1 s and
#    6 s into per-sample training ends the run with the lecture's "Interrupted at epoch" line,
#    exit status 130 and the history saved; a time budget of 3 s ends it as such. Each line
#    shows the seconds the run took in all, to compare with the budget.
set -euo pipefail
BIN="${1:-.gpu/bundle/learning-rules.xz}"
OUT="${GPU_CHECK_OUT:-output/gpu-check}"
CPU_ONLY="${GPU_CHECK_CPU_ONLY:-0}"
mkdir -p "$OUT"
UNPACKED="$(mktemp -d)"
trap 'rm -rf "$UNPACKED"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/gpu-binary.sh"
gpu_binary "$BIN" "$UNPACKED"
echo "== CUDA_PATH=${CUDA_PATH:-unset}"

run() {  # name device engine rule args...
    local name="$1" device="$2" engine="$3" rule="$4"; shift 4
    local dir="$OUT/$name-$device-$engine"
    "$BIN" train --rule "$rule" --device "$device" --engine "$engine" --out "$dir" \
        --weights "$dir/weights.json" "$@" > "$dir.log" 2>&1 \
        || { echo "$name on $device ($engine) failed:"; tail -5 "$dir.log"; return 1; }
    python3 - "$dir/$rule.json" "$name on $device ($engine)" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
e = h["epochs"][-1]
samples, seconds = h["train_samples"], e["seconds"]
time = (f"{seconds:.2f} s per epoch" if samples == 60000 else
        f"{seconds:.2f} s for {samples:,} samples, {seconds * 60000 / samples:.1f} s per epoch at that pace")
print(f"{sys.argv[2]}: {time}, loss {e['train_loss']:.6f}, test accuracy {e['test_accuracy']:.2f}%")
PY
}

status=0
ten=(minibatch --epochs 1 --train-samples 1000)
epoch=(minibatch --epochs 1)
samples=(per-sample --epochs 1 --train-samples 2000)
run 24b-10-updates cpu burn "${ten[@]}" || status=1
run 24b cpu burn "${epoch[@]}" || status=1
run 24b cpu fused "${epoch[@]}" || status=1
run 24c cpu burn "${samples[@]}" || status=1
if [ "$CPU_ONLY" != 1 ]; then
    run 24b-10-updates cuda burn "${ten[@]}" || status=1
    run 24b cuda burn "${epoch[@]}" || status=1
    run 24c cuda burn "${samples[@]}" || status=1
    CUBECL_CUDA_TF32=1 run 24b-10-updates-tf32 cuda burn "${ten[@]}" || status=1
fi

# Stop and the time budget, as on the CPU: SIGINT 1 s in (while the device starts up) and 6 s in
# (training) ends the run with its history saved and exit status 130; a budget of 3 s ends it
# as "time-budget". Per-sample training, on the GPU when there is one.
stop_device=$([ "$CPU_ONLY" = 1 ] && echo cpu || echo cuda)
stop_check() {  # name seconds-before-SIGINT | name budget-seconds (with "budget")
    local name="$1" after="$2" dir="$OUT/stop-$1-$stop_device"
    local args=(train --rule per-sample --device "$stop_device" --epochs 100 --out "$dir")
    [ "$name" = budget ] && args+=(--time-budget "$after")
    local started=$SECONDS rc=0
    "$BIN" "${args[@]}" > "$dir.log" 2>&1 &
    local pid=$!
    if [ "$name" != budget ]; then sleep "$after"; kill -INT "$pid" 2>/dev/null || true; fi
    wait "$pid" || rc=$?
    python3 - "$dir" "$name" "$rc" "$((SECONDS - started))" "$after" "$stop_device" <<'PY'
import json, os, sys
out, name, rc, wall, after, device = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
log = open(out + ".log").read()
path = f"{out}/per-sample.json"
h = json.load(open(path)) if os.path.exists(path) else None
stopped = (h or {}).get("stopped") or {}
reason = stopped.get("reason")
if name == "budget":
    label, ok = f"time budget of {after} s on {device}", rc == 0 and isinstance(reason, dict) and "time-budget" in reason
else:
    label, ok = f"SIGINT {after} s after the start on {device} ({name})", rc == 130 and reason == "interrupted" and "Interrupted at epoch" in log
seen = f"exit {rc}, {wall} s in all, history {'saved' if h else 'missing'}, stopped: {reason}"
if h and h["epochs"]:
    e = h["epochs"][-1]
    seen += f", last epoch {e['seconds']:.2f} s of training over {e.get('samples', '?')} samples"
print(f"{'ok  ' if ok else 'FAIL'} {label}: {seen}")
if not ok:
    print("     " + "\n     ".join(log.strip().splitlines()[-5:]))
sys.exit(0 if ok else 1)
PY
}
stop_check startup 1 || status=1
stop_check training 6 || status=1
stop_check budget 3 || status=1

python3 - "$OUT" "$CPU_ONLY" "$BIN" <<'PY' || status=1
import json, os, subprocess, sys
out, cpu_only, binary = sys.argv[1], sys.argv[2] == "1", sys.argv[3]

def load(run, what):
    path = f"{out}/{run}/{what}"
    return json.load(open(path)) if os.path.exists(path) else None

def weight_gap(run_a, run_b):
    """The binary's measure (`learning-rules weights-gap`, per tensor, relative to the
    tensor's largest weight); None where a run left no weights."""
    a, b = f"{out}/{run_a}/weights.json", f"{out}/{run_b}/weights.json"
    if not (os.path.exists(a) and os.path.exists(b)):
        return None
    return float(subprocess.run([binary, "weights-gap", a, b], check=True, capture_output=True,
                                text=True).stdout)

def epoch(run, rule):
    h = load(run, f"{rule}.json")
    return (h["epochs"][-1]["train_loss"], h["epochs"][-1]["test_accuracy"]) if h else (None, None)

def show(gap):
    return "n/a (a run failed)" if gap is None else f"{gap:.2e}"

failed = []
def check(label, ok, text):
    print(f"{'ok  ' if ok else 'FAIL'} {label}: {text}")
    if not ok:
        failed.append(label)

reference = weight_gap("24b-cpu-fused", "24b-cpu-burn")
print(f"     24b epoch, the CPU's two engines: weights {show(reference)} apart (the yardstick)")
if not cpu_only:
    for name in ["24b-10-updates", "24c"]:
        gap = weight_gap(f"{name}-cuda-burn", f"{name}-cpu-burn")
        check(f"{name} weights", gap is not None and gap <= 1e-3, f"cuda vs cpu {show(gap)} (at most 1e-3)")
    (lg, ag), (lc, ac) = epoch("24b-cuda-burn", "minibatch"), epoch("24b-cpu-burn", "minibatch")
    if None in (lg, lc):
        check("24b epoch", False, "n/a (a run failed)")
    else:
        check("24b epoch loss", abs(lg - lc) <= 1e-3 * lc, f"cuda {lg:.6f} vs cpu {lc:.6f} (relative 1e-3)")
        check("24b epoch accuracy", abs(ag - ac) <= 0.2, f"cuda {ag:.2f}% vs cpu {ac:.2f}% (0.2 points)")
    gap = weight_gap("24b-cuda-burn", "24b-cpu-burn")
    print(f"     24b epoch weights: cuda vs cpu {show(gap)} (not checked; see the yardstick)")
    tf32 = weight_gap("24b-10-updates-tf32-cuda-burn", "24b-10-updates-cpu-burn")
    print(f"     24b-10-updates weights with TF32 allowed: cuda vs cpu {show(tf32)} (not checked)")
sys.exit(1 if failed else 0)
PY
rm -f "$OUT"/*/weights.json  # 7 MB each; compared above
if [ "$CPU_ONLY" = 1 ]; then
    [ $status = 0 ] && echo "== GPU check, CPU half: ran" || echo "== GPU check, CPU half: FAILED"
else
    [ $status = 0 ] && echo "== GPU check passed" || echo "== GPU check FAILED"
fi
exit $status
