#!/usr/bin/env bash
# On a machine with an NVIDIA GPU and many cores (no Rust needed): the speed figures of the
# README's Performance section for that machine, from the cuda build of `learning-rules`
# (scripts/build-gpu.sh). Run from the repository root:
#   scripts/gpu-speed.sh [path/to/learning-rules[.xz]]     (default .gpu/bundle/learning-rules.xz)
# Prints, and keeps under $GPU_SPEED_OUT (default output/gpu-speed):
#  1. the fused CPU path's thread sweep (`bench --threads-sweep --runs 3`): 1, 2, 4, … threads
#     up to the machine's cores, and how far the default is from the best count;
#  2. 24b on the GPU for 3 epochs from a cold kernel cache, then again from the warm one: the
#     first epoch's extra seconds are compiling (and tuning) GPU kernels, which cubecl keeps in
#     its cache (here a fresh $XDG_CACHE_HOME/cubecl; by default ~/.cache/cubecl, or
#     target/environment inside a cargo workspace). Each epoch's training and evaluation seconds;
#  3. `bench --device cuda` for the per-epoch and minibatch rules (training only, warm);
#  4. 100 updates of 24b with cubecl's profiler on: the GPU's own time per kernel, set against
#     the warm epoch's wall time per update (what is left is launching and waiting).
# GPU_SPEED_SWEEP=0 skips the sweep (minutes on many cores), to compare two builds' GPU figures.
set -euo pipefail
BIN="${1:-.gpu/bundle/learning-rules.xz}"
OUT="${GPU_SPEED_OUT:-output/gpu-speed}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
MNIST="$(pwd)/data/mnist"
echo "== $(date -u +%F), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
source "$(dirname "${BASH_SOURCE[0]}")/gpu-binary.sh"
gpu_binary "$BIN" "$WORK"

status=0
if [ "${GPU_SPEED_SWEEP:-1}" = 1 ]; then
    echo "== 1. the fused CPU path by thread count"
    "$BIN" bench --threads-sweep --runs 3 | tee "$OUT/threads-sweep.txt" || status=1
fi

# Outside any cargo workspace (cubecl would cache in its target/), with a cache of its own.
cd "$WORK"
export XDG_CACHE_HOME="$WORK/cache"
mkdir -p "$XDG_CACHE_HOME"
export MNIST_DIR="$MNIST"
epochs() {  # name: each epoch's seconds from the run's history
    python3 - "$OUT/$1/minibatch.json" "$1" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
parts = [f"epoch {e['epoch']}: {e['seconds']:.2f} s training + {e['eval_seconds']:.2f} s evaluation, "
         f"{e['test_accuracy']:.2f}%" for e in h["epochs"]]
print(f"{sys.argv[2]} ({h['engine']['detail']}): " + "; ".join(parts))
PY
}
echo "== 2. 24b on the GPU, 3 epochs: cold kernel cache, then warm"
for run in cold warm; do
    started=$(date +%s.%N)
    "$BIN" train --rule minibatch --device cuda --epochs 3 --out "$OUT/24b-$run" > "$OUT/24b-$run.log" 2>&1 \
        || { echo "24b ($run) failed:"; tail -5 "$OUT/24b-$run.log"; status=1; continue; }
    echo "process: $(python3 -c "import time; print(f'{time.time() - $started:.1f}')") s"
    epochs "24b-$run" || status=1
done
echo "kernel cache after both: $(du -sh "$XDG_CACHE_HOME" | cut -f1) in $(find "$XDG_CACHE_HOME" -type f | wc -l) files"

echo "== 3. training only, warm, on the GPU"
"$BIN" bench --device cuda --rules per-epoch,minibatch --runs 3 | tee "$OUT/bench-cuda.txt" || status=1

echo "== 4. where a warm 24b step's time goes: GPU kernel time (cubecl's profiler) against the wall"
# 100 updates with every kernel timed on the device; the profiler itself slows the wall clock,
# so the kernel sum is set against section 2's warm epoch, not this run's.
# cubecl reads cubecl.toml from the current folder: the profiler, at its basic level, to a file.
printf '[profiling.logger]\nlevel = "basic"\nfile = "%s"\n' "$OUT/profile.log" > cubecl.toml
"$BIN" train --rule minibatch --device cuda --epochs 1 --train-samples 10000 \
    --out "$OUT/24b-profiled" > "$OUT/24b-profiled.log" 2>&1 || status=1
rm cubecl.toml
[ -f "$OUT/profile.log" ] && python3 - "$OUT/profile.log" "$OUT/24b-warm/minibatch.json" <<'PY' || status=1
import collections, json, re, statistics, sys
# Each kernel's first launch includes compiling it (hundreds of ms), and kernels launched only
# at start-up or in evaluation are not part of an update: count the kernels launched in at
# least half of the 100 updates, each at the median of its later launches.
units = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}
timed = collections.defaultdict(list)
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"\s*\|\s*([\d.]+)(ns|µs|us|ms|s)\s*\|\s*(.+?)\s*$", line)
    if m:
        timed[m.group(3)].append(float(m.group(1)) * units[m.group(2)])
per_update = {name: (statistics.median(t[1:]) * len(t) / 100, len(t) / 100)
              for name, t in timed.items() if len(t) >= 50}
total = sum(seconds for seconds, _ in per_update.values())
launches = sum(n for _, n in per_update.values())
warm = json.load(open(sys.argv[2]))["epochs"][-1]
wall = warm["seconds"] / 600
print(f"{launches:.0f} kernel launches per update, {total * 1e6:.0f} µs of kernel time "
      f"(median per kernel) against {wall * 1e6:.0f} µs of wall time per update in section 2's last warm epoch")
for name, (seconds, n) in sorted(per_update.items(), key=lambda kv: -kv[1][0])[:8]:
    print(f"  {seconds * 1e6:7.1f} µs per update, {n:4.1f} launches: {re.sub(r' [|] .*_', ' … ', name)[:70]}")
PY
[ -f "$OUT/profile.log" ] && gzip -f "$OUT/profile.log"
exit $status
