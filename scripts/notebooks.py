"""Runs the lecture's notebooks headlessly on the evcxr Rust kernel (through nbclient).

    python scripts/notebooks.py                 # full runs: the lecture's settings
    python scripts/notebooks.py --quick 24b     # quick mode, one notebook

Executed copies, outputs embedded, go to output/notebooks/; the notebooks write their figures to
output/figures/. Run it through scripts/run.sh, which sets up the kernel first.

Quick mode inserts a cell right after the one tagged `parameters` that overrides a few of its
values (fewer epochs, a training subset), so a notebook runs in a minute: that is what the tests
use.
"""
import argparse
import pathlib
import re
import sys
import time

import nbformat
from nbclient import NotebookClient

REPO = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
OUTPUT = REPO / "output"

# Quick-mode values for each notebook, pasted after its parameters cell.
# evcxr keeps a variable's type across cells only when it is written out.
QUICK = {
    "24a": "let epochs: usize = 3;\nlet train_samples: Option<usize> = Some(6_000);",
    "24b": "let epochs: usize = 2;\nlet train_samples: Option<usize> = Some(6_000);",
    "24c": "let epochs: usize = 2;\nlet train_samples: Option<usize> = Some(3_000);",
    "24d": "let epochs: usize = 2;\nlet train_samples: Option<usize> = Some(3_000);\n"
           "let sweep_epochs: usize = 1;\nlet sweep_seconds: f64 = 1.0;",
}

LOG_LINE = re.compile(r"At Epoch (\d+): Loss = ([0-9.eE+-]+) , Acc = ([0-9.]+)%")


def notebook_paths(selection=()):
    paths = sorted(NOTEBOOKS.glob("24?_*.ipynb"))
    if selection:
        paths = [p for p in paths if p.name[:3] in selection]
    return paths


def with_quick_parameters(nb, code):
    """Inserts `code` after the cell tagged `parameters` (papermill's convention)."""
    for i, cell in enumerate(nb.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            injected = nbformat.v4.new_code_cell(code)
            injected.metadata["tags"] = ["injected-parameters"]
            nb.cells.insert(i + 1, injected)
            return nb
    raise ValueError("the notebook has no cell tagged `parameters`")


def execute(path, quick=False, out_dir=None, timeout=None):
    """Executes one notebook and writes the executed copy; returns (notebook, seconds)."""
    nb = nbformat.read(path, as_version=4)
    if quick:
        with_quick_parameters(nb, QUICK[path.name[:3]])
    started = time.monotonic()
    client = NotebookClient(
        nb,
        kernel_name="rust",
        timeout=timeout,
        startup_timeout=120,
        allow_errors=quick,  # tests report every error; a full run stops at the first
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    finally:
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


def accuracies(nb):
    """Test accuracies of the lecture's log lines, in order."""
    text = "".join(text_of(c) for c in nb.cells if c.cell_type == "code")
    return [float(m.group(3)) for m in LOG_LINE.finditer(text)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("only", nargs="*", help="notebook prefixes to run (24a 24b …); default all")
    ap.add_argument("--quick", action="store_true", help="few epochs on a training subset")
    ap.add_argument("--out", default=None, help="folder for executed copies")
    a = ap.parse_args()
    failed = False
    for path in notebook_paths(a.only):
        print(f"== {path.name}", flush=True)
        try:
            nb, seconds = execute(path, quick=a.quick, out_dir=a.out)
        except Exception as e:  # CellExecutionError carries the cell's message
            print(f"   FAILED: {e}", flush=True)
            failed = True
            continue
        for i, message in errors(nb):
            print(f"   error in cell {i}: {message}")
            failed = True
        print(f"   {seconds:.0f} s, accuracies {accuracies(nb)}", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
