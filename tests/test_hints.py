"""Every "try this" in the notebooks, done as a student would do it: the hint's edit is applied to
the notebook's own cells, the cells run on the kernel, and what the hint says happens is
checked. A guard test fails if a notebook gains a hint that no case here covers.

Run through scripts/test.sh, which sets up the kernel first.
"""
import json
import pathlib
import re

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"


def notebook(part):
    return json.loads(next(NOTEBOOKS.glob(f"{part}_*.ipynb")).read_text())


def cells_through_training(part, edits=(), settings=None):
    """The notebook's code cells up to its training loop, with `edits` ((old, new) pairs, each
    found exactly once) applied, and `settings` pasted after the parameters cell."""
    cells = []
    for cell in notebook(part)["cells"]:
        if cell["cell_type"] != "code" or "burn-update" in cell["metadata"].get("tags", []):
            continue
        cells.append("".join(cell["source"]))
        if "parameters" in cell["metadata"].get("tags", []) and settings:
            cells.append(settings)
        if "training-loop" in cell["metadata"].get("tags", []):
            break
    for old, new in edits:
        hits = [i for i, c in enumerate(cells) if old in c]
        assert len(hits) == 1 and cells[hits[0]].count(old) == 1, f"{old!r} is not in {part} once"
        cells[hits[0]] = cells[hits[0]].replace(old, new)
    return cells


def run(kernel, part, edits=(), settings=None, probe=""):
    """Runs the (edited) cells and `probe`; returns everything they printed."""
    return "".join(kernel.run(cell, timeout=600)
                   for cell in cells_through_training(part, edits, settings) + [probe])


def config(**fields):
    rust = ", ".join(f"{k}: {v}" for k, v in fields.items())
    return f"let config: TrainingConfig = TrainingConfig {{ {rust}, ..config }};"


RESULT = ('println!("RESULT {} {} {:?}", run.history.updates(), run.history.final_accuracy()'
          '.unwrap(), run.history.epochs.iter().map(|e| (e.samples, e.seconds, e.test_accuracy))'
          '.collect::<Vec<_>>());')


def result(text):
    """(updates, final accuracy, [(samples, seconds, accuracy) per epoch]) from RESULT."""
    updates, accuracy, epochs = re.search(r"RESULT (\d+) ([0-9.]+) (\[.*\])", text).groups()
    epochs = [tuple(float(x) for x in e) for e in re.findall(r"\(([^,]+), ([^,]+), ([^)]+)\)", epochs)]
    return int(updates), float(accuracy), epochs


# The hints, by the words that start them in "What to observe", with the case that checks them.
HINTS = {
    "24a": ["Try `learning_rate: 0.5`", "To turn this loop into 24b's", "Compare the seconds per epoch"],
    "24b": ["Try `batch_size: 10`", "Edit the loop: print the loss"],
    "24c": ["try\n  another `seed`", "Compare the seconds per epoch here"],
}
HINT_WORDS = re.compile(r"\b([Tt]ry|Edit|To turn|Compare)\b")


@pytest.mark.parametrize("part", ["24a", "24b", "24c", "24d"])
def test_every_hint_has_a_case(part):
    observe = next("".join(c["source"]) for c in notebook(part)["cells"]
                   if c["cell_type"] == "markdown" and "## What to observe" in "".join(c["source"]))
    bullets = [b for b in observe.split("\n- ")[1:] if HINT_WORDS.search(b)]
    cases = HINTS.get(part, [])
    for bullet in bullets:
        assert any(case in bullet for case in cases), f"a hint without a test: {bullet!r}"
    for case in cases:
        assert any(case in bullet for bullet in bullets), f"no hint {case!r} any more"


def test_24a_a_larger_learning_rate_helps_a_little(kernel):
    quick = config(train_samples="Some(6_000)")
    updates, slow, _ = result(run(kernel, "24a", settings=quick, probe=RESULT))
    _, fast, _ = result(run(kernel, "24a", [("learning_rate: 0.1,", "learning_rate: 0.5,")],
                            quick, RESULT))
    _, minibatch, _ = result(run(kernel, "24b", settings=config(epochs=1, train_samples="Some(6_000)"),
                                 probe=RESULT))
    assert updates == 10
    assert slow < fast < minibatch, (slow, fast, minibatch)


def test_24a_edited_as_the_hint_says_gives_24bs_history(kernel):
    edits = [
        ("..TrainingConfig::per_epoch()", "..TrainingConfig::per_minibatch()"),
        ("learner.accumulate(batch, batch.len() as f32 / n)?", "learner.step(batch, config.learning_rate)?"),
        ("        log.batch(loss, batch.len());\n    }\n    learner.update(config.learning_rate)?; "
         "// the epoch's one update: w -= lr·∇L\n    log.update();\n",
         "        log.batch(loss, batch.len());\n        log.update();\n    }\n"),
    ]
    probe = ("let reference: Run = train(&data, &config)?;\n"
             'println!("SAME {} {}", run.history.update_losses == reference.history.update_losses '
             "&& run.weights == reference.weights, run.history.updates());")
    text = run(kernel, "24a", edits, config(epochs=2, train_samples="Some(6_000)"), probe)
    assert "SAME true 120" in text, text


def test_24a_epochs_go_through_what_24bs_do_for_one_update(kernel):
    # The seconds of the comparison are the student's to read (and `learning-rules bench`'s to
    # measure); what the rules guarantee is the same samples for 1 update against 600.
    one = config(epochs=1)
    updates_a, _, [(samples_a, _, _)] = result(run(kernel, "24a", settings=one, probe=RESULT))
    updates_b, _, [(samples_b, _, _)] = result(run(kernel, "24b", settings=one, probe=RESULT))
    assert (updates_a, updates_b) == (1, 600)
    assert samples_a == samples_b == 60_000


SPREAD = ("{ let l = &run.history.update_losses; let half = &l[l.len() / 2..]; "
          "let mut d: Vec<f32> = half.windows(2).map(|w| (w[1] - w[0]).abs()).collect(); "
          "d.sort_by(f32::total_cmp); "
          'println!("SPREAD {} {}", run.history.updates(), d[d.len() / 2]); }')


def test_24b_batch_size_changes_how_many_updates_and_how_noisy(kernel):
    got = {}
    for size in [10, 100, 1000]:
        edits = [] if size == 100 else [("batch_size: 100,", f"batch_size: {size},")]
        text = run(kernel, "24b", edits, config(epochs=1), SPREAD)
        updates, spread = re.search(r"SPREAD (\d+) ([0-9.e-]+)", text).groups()
        got[size] = (int(updates), float(spread))
    assert [got[s][0] for s in (10, 100, 1000)] == [6000, 600, 60], got
    assert got[10][1] > got[100][1] > got[1000][1], got


def test_24b_the_loop_edits_print_every_100_updates_and_stop_at_97(kernel):
    printing = ("        log.update(); // one update per minibatch\n",
                "        log.update(); // one update per minibatch\n"
                "        if log.history().update_losses.len() % 100 == 0 { println!(\"update {}: loss "
                "{loss:.4}\", log.history().update_losses.len()); }\n")
    text = run(kernel, "24b", [printing], config(epochs=1, train_samples="Some(30_000)"))
    assert re.findall(r"^update (\d+): loss [0-9.]+$", text, re.M) == ["100", "200", "300"], text
    stopping = ("    log.end_epoch(&mut learner, &data.test)?; // test accuracy, the lecture's two lines\n",
                "    log.end_epoch(&mut learner, &data.test)?; // test accuracy, the lecture's two lines\n"
                "    if log.history().final_accuracy().is_some_and(|accuracy| accuracy >= 97.0) "
                "{ break; }\n")
    _, _, epochs = result(run(kernel, "24b", [stopping], probe=RESULT))
    accuracies = [a for _, _, a in epochs]
    assert accuracies[-1] >= 97.0 and all(a < 97.0 for a in accuracies[:-1]), accuracies
    assert len(accuracies) < 10, accuracies


def test_24c_another_seed_lands_elsewhere(kernel):
    quick = config(epochs=2, train_samples="Some(3_000)")
    _, _, seed0 = result(run(kernel, "24c", settings=quick, probe=RESULT))
    _, _, seed1 = result(run(kernel, "24c", [("seed: 0,", "seed: 1,")], quick, RESULT))
    assert [a for *_, a in seed0] != [a for *_, a in seed1], (seed0, seed1)


def test_24c_per_sample_epochs_make_a_hundred_times_24bs_updates(kernel):
    # What an update costs, and so the seconds per epoch, is measured by `learning-rules bench`
    # (README, Performance), where the lecture's GPU took 64 s against 2 s.
    one = config(epochs=1)
    updates_c, _, [(samples_c, _, _)] = result(run(kernel, "24c", settings=one, probe=RESULT))
    updates_b, _, [(samples_b, _, _)] = result(run(kernel, "24b", settings=one, probe=RESULT))
    assert updates_c == 100 * updates_b == samples_c == samples_b
