"""Runs the lecture's notebooks headlessly on the evcxr Rust kernel (through nbclient).

    python scripts/notebooks.py                 # full runs: the lecture's settings
    python scripts/notebooks.py --quick 24b     # quick mode, one notebook
    python scripts/notebooks.py --timings 24b   # also a table of every cell's seconds

Executed copies, outputs embedded, go to output/notebooks/; the notebooks write their figures to
output/figures/ and output/compare/ (the kernel works in output/). Run it through scripts/run.sh, which sets up the kernel first.

Quick mode inserts a cell right after the one tagged `parameters` that overrides a few of its
values (fewer epochs, a training subset), so a notebook runs in a minute: that is what the tests
use. Every run prints the seconds per epoch the notebook logged, so that a slow kernel shows;
--timings adds every cell's seconds (nbclient's timing metadata) and the kernel's peak memory.
A cell that runs past its time limit (CELL_TIMEOUT) fails the run with the cell's number and
first line.
"""
import argparse
import datetime
import os
import pathlib
import re
import statistics
import sys
import time

import nbformat
from nbclient import NotebookClient

REPO = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
OUTPUT = REPO / "output"

# Quick-mode settings for each notebook, pasted after its parameters cell as typed `let`s (the
# kernel then never loads its type checker: scripts/patches/evcxr/).
QUICK = {
    "24a": {"epochs": 3, "train_samples": 6_000},
    "24b": {"epochs": 2, "train_samples": 6_000},
    "24c": {"epochs": 2, "train_samples": 3_000},
    "24d": {"epochs": 2, "train_samples": 3_000, "burn_seconds": 5.0,
            "long_per_epoch_seconds": 0.0, "sweep_epochs": 1, "sweep_seconds": 1.0},
}


def quick_code(part):
    """The cell that quick mode pastes after `part`'s parameters cell."""
    q = QUICK[part]
    shorter = f"epochs: {q['epochs']}, train_samples: Some({q['train_samples']})"
    if part != "24d":
        return f"let config: TrainingConfig = TrainingConfig {{ {shorter}, ..config }};"
    return "\n".join([
        f"let race: TrainingConfig = TrainingConfig {{ {shorter}, ..race }};",
        f"let burn_seconds: f64 = {q['burn_seconds']};",
        f"let long_per_epoch_seconds: f64 = {q['long_per_epoch_seconds']};",
        f"let sweep_epochs: usize = {q['sweep_epochs']};",
        f"let sweep_seconds: f64 = {q['sweep_seconds']};",
    ])


LOG_LINE = re.compile(r"At Epoch (\d+): Loss = ([0-9.eE+-]+) , Acc = ([0-9.]+)%")
EPOCH_TIME = re.compile(r"Epoch completed in (\d+)m ([0-9.]+)s")
# A row of History::summary(): epoch, train loss, test acc, training seconds, updates.
SUMMARY_ROW = re.compile(r"^\s+\d+\s+[0-9.]+\s+[0-9.]+%\s+([0-9.]+)\s+\d+$", re.M)
# Cells that load, build or train: everything else (print, plot, save) should answer at once.
HEAVY = (":dep", "Dataset::load", "Learner::new", "Recorder::new", "train_seeds", "compare_rules",
         "sweep_batch_sizes", "per_epoch_for_seconds")


def notebook_paths(selection=()):
    paths = sorted(NOTEBOOKS.glob("24?_*.ipynb"))
    if selection:
        paths = [p for p in paths if p.name[:3] in selection]
    return paths


def first_code_cell(path):
    """The source of the notebook's first code cell: its `:dep` line."""
    nb = nbformat.read(path, as_version=4)
    return next(cell.source for cell in nb.cells if cell.cell_type == "code")


def with_quick_parameters(nb, code):
    """Inserts `code` after the cell tagged `parameters` (papermill's convention)."""
    for i, cell in enumerate(nb.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            injected = nbformat.v4.new_code_cell(code)
            injected.metadata["tags"] = ["injected-parameters"]
            nb.cells.insert(i + 1, injected)
            return nb
    raise ValueError("the notebook has no cell tagged `parameters`")


# Seconds a cell may run before the notebook fails, naming it. The `:dep` cell compiles burn
# when .evcxr/ is new (about 5 minutes on 2 cores); quick mode's other cells take seconds.
DEP_CELL_TIMEOUT = 1800
CELL_TIMEOUT = {True: 300, False: 1800}


class CellTimeout(RuntimeError):
    """A cell ran past its time limit: the message says which."""


def peak_rss_mb(pid):
    """Peak resident memory of process `pid` in MB (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def child_pids(pid):
    try:
        tasks = pathlib.Path(f"/proc/{pid}/task").iterdir()
        return [int(c) for t in tasks for c in (t / "children").read_text().split()]
    except OSError:
        return []


class KernelMemory:
    """Peak resident memory (MB) of the kernel (evcxr_jupyter, where its type checker would
    live) and of its worker (the process that runs the cells and holds the data), sampled after
    every cell."""

    def __init__(self, client):
        self.client, self.kernel, self.worker = client, 0, 0

    def sample(self, **_):
        pid = self.client.km.provisioner.process.pid
        self.kernel = max(self.kernel, peak_rss_mb(pid))
        self.worker = max([self.worker] + [peak_rss_mb(c) for c in child_pids(pid)])


def execute(path, quick=False, out_dir=None, cell_timeout=None):
    """Executes one notebook and writes the executed copy; returns (notebook, seconds). A cell
    that runs past `cell_timeout` seconds (default: CELL_TIMEOUT) raises CellTimeout."""
    nb = nbformat.read(path, as_version=4)
    if quick:
        with_quick_parameters(nb, quick_code(path.name[:3]))
    limit = cell_timeout or CELL_TIMEOUT[quick]
    OUTPUT.mkdir(exist_ok=True)
    started = time.monotonic()
    nb.metadata["runner"] = {"started": datetime.datetime.now(datetime.timezone.utc).isoformat()}
    running = {}
    client = NotebookClient(
        nb,
        kernel_name="rust",
        timeout_func=lambda cell: (DEP_CELL_TIMEOUT if cell.source.lstrip().startswith(":dep")
                                   else limit),
        startup_timeout=DEP_CELL_TIMEOUT if os.environ.get("JUPYTER_PATH", "").endswith(".gpu/jupyter")
        else 120,
        allow_errors=quick,  # tests report every error; a full run stops at the first
        # The kernel works in output/: the notebooks save their figures to figures/ and
        # compare/ in their working folder, which JupyterLab makes the notebook's own.
        resources={"metadata": {"path": str(OUTPUT)}},
        on_cell_start=lambda cell, cell_index: running.update(index=cell_index),
    )
    memory = KernelMemory(client)
    client.on_cell_executed = memory.sample
    try:
        client.execute()
    except TimeoutError as e:
        i = running.get("index", -1)
        first = nb.cells[i].source.strip().splitlines()[0] if i >= 0 else "?"
        raise CellTimeout(f"{path.name}: cell {i} (`{first}`) did not finish within "
                          f"{client.timeout_func(nb.cells[i])} s") from e
    finally:
        nb.metadata["runner"]["peak_rss_mb"] = {"kernel": memory.kernel, "worker": memory.worker}
        out_dir = pathlib.Path(out_dir or OUTPUT / "notebooks")
        out_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out_dir / path.name)
    return nb, time.monotonic() - started


def text_of(cell):
    """Everything a code cell printed."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif "data" in out and "text/plain" in out.data:
            parts.append(out.data["text/plain"])
    return "".join(parts)


def errors(nb):
    """(cell index, message) for every cell that failed."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append((i, f"{out.ename}: {out.evalue}"))
            elif out.output_type == "stream" and out.name == "stderr" and "panicked" in out.text:
                found.append((i, out.text))
    return found


def epoch_seconds(nb):
    """Seconds of every `Epoch completed in Xm Ys` line, in order."""
    text = "".join(text_of(c) for c in nb.cells if c.cell_type == "code")
    return [60 * int(m) + float(s) for m, s in EPOCH_TIME.findall(text)]


def training_seconds(nb):
    """Training seconds of every epoch in the notebook's summary table (two decimals)."""
    text = "".join(text_of(c) for c in nb.cells if c.cell_type == "code")
    return [float(s) for s in SUMMARY_ROW.findall(text)]


def _when(stamp):
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def cell_timings(nb):
    """(cell index, first line, seconds, kind) of every executed code cell, from nbclient's
    timing metadata; kind is `light`, `heavy` or `parameters`."""
    rows = []
    for i, cell in enumerate(nb.cells):
        execution = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type != "code" or "shell.execute_reply" not in execution:
            continue
        start = execution.get("iopub.execute_input") or execution["shell.execute_reply.started"]
        seconds = (_when(execution["shell.execute_reply"]) - _when(start)).total_seconds()
        tags = cell.metadata.get("tags", [])
        kind = ("parameters" if "parameters" in tags or "injected-parameters" in tags
                else "heavy" if any(h in cell.source for h in HEAVY) else "light")
        rows.append((i, cell.source.splitlines()[0][:60], seconds, kind))
    return rows


def start_to_parameters(nb):
    """Seconds from asking for a kernel to the end of the last parameters cell."""
    done = [c.metadata["execution"]["shell.execute_reply"] for c in nb.cells
            if {"parameters", "injected-parameters"} & set(c.metadata.get("tags", []))
            and "execution" in c.metadata]
    started = nb.metadata.get("runner", {}).get("started")
    if not done or not started:
        return None
    return (_when(done[-1]) - _when(started)).total_seconds()


def timing_table(nb):
    """Markdown: every code cell's seconds, then the start-up and light-cell summary."""
    rows = cell_timings(nb)
    lines = ["| cell | first line | seconds | kind |", "|---:|---|---:|---|"]
    lines += [f"| {i} | `{first}` | {sec:.2f} | {kind} |" for i, first, sec, kind in rows]
    light = [sec for *_, sec, kind in rows if kind == "light"]
    start = start_to_parameters(nb)
    if start is not None:
        lines.append(f"\nkernel start → parameters cell done: {start:.1f} s")
    if light:
        lines.append(f"light cells: median {statistics.median(light):.2f} s, "
                     f"max {max(light):.2f} s over {len(light)}")
    memory = nb.metadata.get("runner", {}).get("peak_rss_mb")
    if memory:
        lines.append(f"peak resident memory: kernel (evcxr_jupyter) {memory['kernel']} MB, "
                     f"worker (runs the cells) {memory['worker']} MB")
    return "\n".join(lines)


def accuracies(nb):
    """Test accuracies of the lecture's log lines, in order."""
    text = "".join(text_of(c) for c in nb.cells if c.cell_type == "code")
    return [float(m.group(3)) for m in LOG_LINE.finditer(text)]


def start_kernel():
    """Starts the kernel once and stops it: what a first start compiles stays in its build
    folder (the CUDA kernel compiles burn-cuda at start-up)."""
    from jupyter_client.manager import start_new_kernel
    started = time.monotonic()
    km, kc = start_new_kernel(kernel_name="rust", cwd=str(NOTEBOOKS),
                              startup_timeout=DEP_CELL_TIMEOUT * 2)
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    print(f"   the kernel started in {time.monotonic() - started:.0f} s", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("only", nargs="*", help="notebook prefixes to run (24a 24b …); default all")
    ap.add_argument("--quick", action="store_true", help="few epochs on a training subset")
    ap.add_argument("--out", default=None, help="folder for executed copies")
    ap.add_argument("--timings", action="store_true",
                    help="print every cell's seconds (also written to output/timings-<nb>.md)")
    ap.add_argument("--cuda", action="store_true",
                    help="run on the CUDA kernel (scripts/setup-gpu.sh --kernel) instead of the CPU one")
    ap.add_argument("--start-kernel", action="store_true",
                    help="only start the kernel once, waiting as long as its first build takes")
    a = ap.parse_args()
    if a.cuda:
        # The notebooks name the `rust` kernel; in this folder that is the CUDA kernel.
        os.environ["JUPYTER_PATH"] = str(REPO / ".gpu" / "jupyter")
    if a.start_kernel:
        start_kernel()
        return
    failed = False
    for path in notebook_paths(a.only):
        print(f"== {path.name}", flush=True)
        try:
            nb, seconds = execute(path, quick=a.quick, out_dir=a.out)
        except Exception as e:  # CellExecutionError and CellTimeout name the cell
            print(f"   FAILED: {e}", flush=True)
            failed = True
            continue
        for i, message in errors(nb):
            print(f"   error in cell {i}: {message}")
            failed = True
        print(f"   {seconds:.0f} s, accuracies {accuracies(nb)}", flush=True)
        epochs = epoch_seconds(nb)
        if epochs:
            print(f"   seconds per epoch (training + test): {', '.join(f'{e:.2f}' for e in epochs)}"
                  f"; median {statistics.median(epochs):.2f}", flush=True)
        training = training_seconds(nb)
        if training:
            print(f"   seconds of training per epoch (summary): "
                  f"{', '.join(f'{t:.2f}' for t in training)}", flush=True)
        if a.timings:
            table = timing_table(nb)
            print(table, flush=True)
            OUTPUT.mkdir(exist_ok=True)
            (OUTPUT / f"timings-{path.name[:3]}.md").write_text(table + "\n")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
