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
import collections, json, re, sys
units = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}
kernels, launches = collections.Counter(), collections.Counter()
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"\s*\|\s*([\d.]+)(ns|µs|us|ms|s)\s*\|\s*(.+?)\s*$", line)
    if m:
        name = re.sub(r"<.*", "", m.group(3))[:60]
        kernels[name] += float(m.group(1)) * units[m.group(2)]
        launches[name] += 1
total, count = sum(kernels.values()), sum(launches.values())
warm = json.load(open(sys.argv[2]))["epochs"][-1]
per_step_wall = warm["seconds"] / 600
print(f"{count} kernels timed for 100 updates: {count / 100:.0f} per update, {total / 100 * 1e3:.3f} ms of GPU time per update")
print(f"a warm epoch's wall time per update (section 2): {per_step_wall * 1e3:.3f} ms: "
      f"{100 * total / 100 / per_step_wall:.0f} % of it is kernels running")
for name, seconds in kernels.most_common(8):
    print(f"  {seconds / 100 * 1e6:8.1f} µs per update, {launches[name] / 100:4.1f} launches: {name}")
PY
[ -f "$OUT/profile.log" ] && gzip -f "$OUT/profile.log"
exit $status
