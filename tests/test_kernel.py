"""The kernel as the patched evcxr runs it (scripts/patches/evcxr/): cells whose `let`s name
their types never start its type checker; a student's `let` without a type still works, and
its cell says at once why it is about to take half a minute. Driven through jupyter_client.

Run through scripts/test.sh, which sets up the kernel first.
"""
import json
import pathlib

REPO = pathlib.Path(__file__).resolve().parent.parent
NOTICE = "Inferring the type of `best`"


def first_cells(notebook, count):
    nb = json.loads((REPO / "notebooks" / notebook).read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"][:count]


def test_typed_cells_skip_the_type_checker_and_an_untyped_let_still_works(kernel):
    for cell in first_cells("24b_update_per_minibatch.ipynb", 3):  # :dep, parameters, data
        assert "Inferring" not in kernel.run(cell)
    kernel.run("let config: TrainingConfig = TrainingConfig { epochs: 1, train_samples: "
               "Some(2_000), ..config };\nlet run: Run = train(&data, &config)?;")
    typed_peak = kernel.peak_rss_mb()
    assert typed_peak < 600, f"{typed_peak} MB before any untyped let"

    # A student's own `let` without a type: the cell says why it waits, then works.
    text = kernel.run("let best = run.history.best_epoch();", timeout=600)
    assert text.startswith(NOTICE) and "`let name: Type = ...`" in text, text
    types = kernel.run(":vars")
    assert "best" in types and "Option<EpochRecord>" in types, types
    assert kernel.run('println!("{}", best.unwrap().epoch);').strip() == "1"
    # The type checker is what costs the memory: the measurement above could tell.
    assert kernel.peak_rss_mb() > typed_peak + 500, (typed_peak, kernel.peak_rss_mb())
    # Loaded once: the next untyped `let` is quiet.
    assert NOTICE[:20] not in kernel.run("let epochs = run.history.epochs.len();")
