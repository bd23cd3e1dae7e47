"""scripts/gpu-check.sh without a GPU: its CPU half as it runs here, and its GPU half's plumbing
(runs, file names, comparisons, verdict) through a stand-in binary that trains on the CPU when
asked for `cuda`. The GPU itself is exercised only on a GPU machine (README, GPU section).
"""
import os
import pathlib
import re
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "gpu-check.sh"
BINARY = REPO / "target" / "release" / "learning-rules"


@pytest.fixture(scope="module")
def binary():
    subprocess.run(["cargo", "build", "--release", "--locked", "-p", "learning-rules-cli"],
                   cwd=REPO, check=True)
    return BINARY


def stand_in(tmp_path, binary, extra=""):
    """A `learning-rules` that runs `--device cuda` on the CPU, with `extra` arguments there, and
    with another seed where CUBECL_CUDA_TF32=1 (so that the TF32 run visibly differs)."""
    path = tmp_path / "learning-rules"
    path.write_text(f"""#!/usr/bin/env bash
args=()
cuda=0
for a in "$@"; do
    if [ "$a" = cuda ]; then a=cpu; cuda=1; fi
    args+=("$a")
done
[ $cuda = 1 ] && args+=({extra})
[ "${{CUBECL_CUDA_TF32:-}}" = 1 ] && args+=(--seed 2)
exec "{binary}" "${{args[@]}}"
""")
    path.chmod(0o755)
    return path


def run_check(binary, out, **env):
    result = subprocess.run(["bash", str(SCRIPT), str(binary)], cwd=REPO, capture_output=True,
                            text=True, env={**os.environ, "GPU_CHECK_OUT": str(out), **env})
    return result.returncode, result.stdout + result.stderr


def test_cpu_half_runs_and_prints_the_yardstick(binary, tmp_path):
    code, text = run_check(binary, tmp_path, GPU_CHECK_CPU_ONLY="1")
    assert code == 0, text
    for line in ["24b-10-updates on cpu (burn): ", "24b on cpu (burn): ", "24b on cpu (fused): ",
                 "24c on cpu (burn): "]:
        assert line in text, text
    assert re.search(r"24b on cpu \(burn\): \d+\.\d\d s per epoch, loss 0\.580\d+, test accuracy 92\.\d\d%", text), text
    assert re.search(r"24c on cpu \(burn\): \d+\.\d\d s for 2,000 samples, \d+\.\d s per epoch at that pace", text), text
    gap = float(re.search(r"the CPU's two engines: weights (\S+) apart", text).group(1))
    assert 0 < gap < 0.1, text  # different summation orders, the same training
    assert re.search(r"^ok   SIGINT 1 s after the start on cpu \(startup\): exit 130, \d+ s in all, history saved, stopped: interrupted", text, re.M), text
    stopped = re.search(r"^ok   SIGINT 6 s after the start on cpu \(training\): exit 130, (\d+) s in all, history saved", text, re.M)
    budget = re.search(r"^ok   time budget of 3 s on cpu: exit 0, (\d+) s in all, history saved, stopped: \{'time-budget'", text, re.M)
    assert stopped and budget, text
    # Stop acts at the next batch and the budget at the batch that uses it up (milliseconds here);
    # the bounds leave seconds for a busy machine to load the data and write the charts.
    assert 6 <= int(stopped.group(1)) <= 10 and 3 <= int(budget.group(1)) <= 8, text
    assert "== GPU check, CPU half: ran" in text
    assert not list(tmp_path.glob("*/weights.json")), "the 7 MB weight files are removed"


def test_gpu_half_passes_when_the_devices_agree(binary, tmp_path):
    code, text = run_check(stand_in(tmp_path, binary), tmp_path / "out")
    assert code == 0, text
    assert "ok   24b-10-updates weights: cuda vs cpu 0.00e+00" in text, text
    assert "ok   24c weights: cuda vs cpu 0.00e+00" in text, text
    assert "ok   24b epoch loss" in text and "ok   24b epoch accuracy" in text, text
    tf32 = float(re.search(r"with TF32 allowed: cuda vs cpu (\S+) \(not checked\)", text).group(1))
    assert tf32 > 1e-3, text  # the variable reached that run, and only that one
    assert text.rstrip().endswith("== GPU check passed"), text


@pytest.mark.parametrize("extra, expected", [
    # Trains another network on "cuda": the comparisons fail.
    ("--learning-rate 0.05", ["FAIL 24b-10-updates weights", "FAIL 24c weights",
                              "FAIL 24b epoch loss"]),
    # The "cuda" runs fail: said as such, not as a Python traceback.
    ("--batch-size 0", ["24b-10-updates on cuda (burn) failed:",
                        "FAIL 24b-10-updates weights: cuda vs cpu n/a (a run failed)",
                        "FAIL 24b epoch: n/a (a run failed)"]),
])
def test_gpu_half_fails_when_the_devices_disagree(binary, tmp_path, extra, expected):
    code, text = run_check(stand_in(tmp_path, binary, extra=extra), tmp_path / "out")
    assert code == 1, text
    for line in expected:
        assert line in text, text
    assert "Traceback" not in text, text
    assert text.rstrip().endswith("== GPU check FAILED"), text
