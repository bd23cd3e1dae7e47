"""The notebooks' CUDA kernel, "Rust (learning-rules, CUDA)", as scripts/setup-gpu.sh installs it.

What its spec holds is checked always (scripts/test.sh runs setup-gpu.sh first). Running a notebook
on it needs its shared build, whose first build of burn-cuda takes about an hour on 2 cores:
that test runs from scripts/check-cuda-kernel.sh, which builds the folder first, and is skipped
elsewhere.
"""
import json
import os
import pathlib

import pytest

from conftest import REPO, runner

GPU = REPO / ".gpu"
SPECS = [GPU / "jupyter" / "kernels" / "rust", REPO / ".venv" / "share" / "jupyter" / "kernels" / "rust-cuda"]


def env_of(spec):
    return json.loads((spec / "kernel.json").read_text())["env"]


CPU_SPEC = REPO / ".venv/share/jupyter/kernels/rust"


@pytest.mark.parametrize("spec", SPECS, ids=["rust in .gpu/jupyter", "rust-cuda in .venv"])
def test_the_cuda_kernel_spec_has_its_own_settings_shared_build_llvm_and_feature(spec):
    kernel = json.loads((spec / "kernel.json").read_text())
    cpu = json.loads((CPU_SPEC / "kernel.json").read_text())
    assert kernel["display_name"] == "Rust (learning-rules, CUDA)"
    assert kernel["argv"] == cpu["argv"], "the same patched evcxr as the CPU kernel"
    env, cpu_env = kernel["env"], cpu["env"]
    assert env["XDG_DATA_HOME"] == f"{GPU}/xdg" and env["CUDARC_CUDA_VERSION"] == "13000"
    # Each kernel builds its cells in a folder of its own, over a shared build of its own.
    assert env["EVCXR_TMPDIR_PARENT"] == cpu_env["EVCXR_TMPDIR_PARENT"]
    settings, shared = pathlib.Path(env["EVCXR_CONFIG_DIR"]), pathlib.Path(env["EVCXR_SHARED_BUILD"])
    assert settings.parent == shared.parent and settings.parent.name.startswith("kernel-")
    assert shared != pathlib.Path(cpu_env["EVCXR_SHARED_BUILD"])
    # The CPU kernel has no init file and no LLVM.
    assert set(cpu_env) == {"EVCXR_CONFIG_DIR", "EVCXR_SHARED_BUILD", "EVCXR_TMPDIR_PARENT"}
    assert not (pathlib.Path(cpu_env["EVCXR_CONFIG_DIR"]) / "init.evcxr").exists()
    assert (spec / "version.txt").read_text() == (CPU_SPEC / "version.txt").read_text()


def test_the_cuda_kernel_turns_the_feature_on_through_one_added_dependency():
    settings = pathlib.Path(env_of(SPECS[0])["EVCXR_CONFIG_DIR"])
    init = (settings / "init.evcxr").read_text()
    assert init == f':dep learning-rules-cuda-feature = {{ path = "{GPU}/kernel/cuda-feature" }}\n'
    manifest = (GPU / "kernel" / "cuda-feature" / "Cargo.toml").read_text()
    assert (f'learning-rules = {{ path = "{REPO}/crates/learning-rules", features = ["cuda"] }}'
            in manifest), manifest
    # The patched cubecl-cuda, for this kernel's builds only (its cargo settings).
    config = (settings / "evcxr.toml").read_text()
    assert f'paths = ["{GPU}/patched/cubecl-cuda-0.11.3"]' in config, config
    assert (GPU / "patched" / "cubecl-cuda-0.11.3" / ".patch.sha256").exists()
    assert (GPU / "xdg" / "tracel" / "tracel-llvm-23.1.0-4" / "bin" / "llvm-config").exists()


@pytest.mark.skipif(os.environ.get("LEARNING_RULES_CUDA_KERNEL") != "1",
                    reason="needs the CUDA kernel's build folder: scripts/check-cuda-kernel.sh")
def test_24b_on_the_cuda_kernel_without_a_gpu_falls_back_to_the_cpu(monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", str(GPU / "jupyter"))  # `rust` is the CUDA kernel there
    path = REPO / "notebooks" / "24b_update_per_minibatch.ipynb"
    nb, _ = runner.execute(path, quick=True, out_dir=REPO / "output" / "cuda-kernel")
    assert runner.errors(nb) == []
    network = next(runner.text_of(c) for c in nb.cells
                   if c.cell_type == "code" and c.source.startswith("let mut learner"))
    assert network.count("no usable NVIDIA GPU (") == 1, network
    assert "; training on the CPU: fused path, " in network, network
    if not pathlib.Path("/proc/driver/nvidia").exists():
        assert "(no NVIDIA driver is loaded: /proc/driver/nvidia is missing)" in network, network
    accuracies = runner.accuracies(nb)
    assert len(accuracies) == runner.QUICK["24b"]["epochs"] and accuracies[-1] > 80, accuracies
    pngs = [o for c in nb.cells if "plot" in c.metadata.get("tags", [])
            for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 3, len(pngs)
