"""The notebooks, executed headlessly on the evcxr kernel in quick mode (scripts/notebooks.py).

Run through scripts/test.sh, which sets up the kernel first.
"""
import base64
import json
import pathlib
import re
import struct
import textwrap

import pytest

import notebooks as runner

REPO = pathlib.Path(__file__).resolve().parent.parent

# Final test accuracy (%) in quick mode, from the settings in runner.QUICK.
EXPECTED_ACCURACY = {
    "24a": (5.0, 40.0),  # three updates: barely started
    "24b": (75.0, 95.0),  # 120 updates on 6,000 images
    "24c": (80.0, 96.0),  # 6,000 updates, one image each
}


def png_width(b64):
    png = base64.b64decode(b64)
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">I", png[16:20])[0]


ALL = runner.notebook_paths()
LECTURE = [p for p in ALL if p.name[:3] in EXPECTED_ACCURACY]
COMPARE = [p for p in ALL if p.name.startswith("24d")]
ids = lambda p: p.name  # noqa: E731


def test_all_four_notebooks_are_there():
    assert [p.name[:3] for p in ALL] == ["24a", "24b", "24c", "24d"]


@pytest.mark.parametrize("path", ALL, ids=ids)
def test_no_cell_fails(path, executed):
    nb = executed(path)
    assert runner.errors(nb) == []


@pytest.mark.parametrize("path", ALL, ids=ids)
def test_every_plot_cell_shows_a_png(path, executed):
    nb = executed(path)
    plots = [c for c in nb.cells if "plot" in c.metadata.get("tags", [])]
    assert plots, "no cell tagged plot"
    for cell in plots:
        images = [o.data["image/png"] for o in cell.outputs if "image/png" in o.get("data", {})]
        assert len(images) == 1, f"cell {cell.source!r} shows {len(images)} PNG images"
        assert png_width(images[0]) >= 600


@pytest.mark.parametrize("path", LECTURE, ids=ids)
def test_log_and_accuracy_follow_the_lecture(path, executed):
    part, nb = path.name[:3], executed(path)
    text = "".join(runner.text_of(c) for c in nb.cells if c.cell_type == "code")
    epochs = runner.QUICK[part]["epochs"]
    accuracies = runner.accuracies(nb)
    assert len(accuracies) == epochs, text
    assert text.count("Epoch completed in ") == epochs, text
    low, high = EXPECTED_ACCURACY[part]
    assert low <= accuracies[-1] <= high, accuracies


@pytest.mark.parametrize("path", ALL, ids=ids)
def test_figures_are_exported_for_slides(path, executed):
    nb = executed(path)
    wrote = [line.split("wrote ", 1)[1] for c in nb.cells for line in runner.text_of(c).splitlines()
             if line.startswith("wrote ")]
    pngs = [pathlib.Path(REPO / "output" / w).resolve() for w in wrote if w.endswith(".png")]  # cwd: output/
    assert pngs, "the export cell wrote no PNG"
    for png in pngs:
        assert png.is_relative_to(REPO / "output"), png
        width = struct.unpack(">I", png.read_bytes()[16:20])[0]
        assert width >= 1600, f"{png}: {width} px"
    assert any(w.endswith(".svg") for w in wrote)


@pytest.mark.parametrize("path", COMPARE, ids=ids)
def test_comparison_prints_its_tables(path, executed):
    nb = executed(path)
    text = "".join(runner.text_of(c) for c in nb.cells if c.cell_type == "code")
    # The race on both engines, in the lecture's log and in the table.
    assert text.count("Epoch completed in ") >= 9, text
    for rule in ["24a (per-epoch)", "24b (minibatch)", "24c (per-sample)"]:
        for engine in ["fused", "burn"]:
            assert f"| {rule}, {engine} |" in text, text
    assert "| rule | to 90% | to 95% | to 96% |" in text, text
    costs = dict(re.findall(r"one per-sample update on the (\w+) path: (\d+) µs", text))
    # "What to observe": on burn a tiny update costs many times what it costs fused (9× with a
    # build running beside it on 2 cores, more on an idle machine).
    assert set(costs) == {"fused", "burn"} and int(costs["burn"]) > 5 * int(costs["fused"]), text
    # The sweep runs 1, 10, 100, 1000 and the whole 3,000-sample subset (per epoch).
    assert "| 3000 | per-epoch | 0.1 |" in text, text


@pytest.mark.parametrize("path", ALL, ids=ids)
def test_no_markdown_cell_repeats_a_code_cell(path):
    nb = json.loads(path.read_text())
    code = {"".join(c["source"]).strip() for c in nb["cells"] if c["cell_type"] == "code"}
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"]).strip()
            assert text not in code, f"markdown repeats a code cell: {text!r}"
            for line in text.splitlines():
                assert not line.startswith(":dep"), f"markdown holds the :dep line: {text!r}"


LOOPS = (REPO / "crates/learning-rules/tests/notebook_loops.rs").read_text()
BURN_UPDATE = (REPO / "crates/learning-rules/tests/burn_update.rs").read_text()


def marked_block(text, mark):
    """The lines between `// notebook <mark>: begin` and `end`, unindented."""
    block = re.search(rf"// notebook {mark}: begin\n(.*?)\n\s*// notebook {mark}: end", text, re.S)
    assert block, f"no {mark} block"
    return textwrap.dedent(block.group(1)).strip()


@pytest.mark.parametrize("path", LECTURE, ids=ids)
def test_training_cell_is_the_loop_tested_against_train(path):
    """The notebook's loop is, character for character, the one that
    crates/learning-rules/tests/notebook_loops.rs checks against `train()`."""
    part = path.name[:3]
    nb = json.loads(path.read_text())
    cells = [c for c in nb["cells"] if "training-loop" in c["metadata"].get("tags", [])]
    assert len(cells) == 1, "one cell tagged training-loop"
    assert "".join(cells[0]["source"]).strip() == marked_block(LOOPS, part)
    lines = "".join(cells[0]["source"]).strip().splitlines()
    assert 12 <= len(lines) <= 20, f"{len(lines)} lines: short enough to read aloud"


@pytest.mark.parametrize("path", LECTURE, ids=ids)
def test_network_cell_shows_the_learner_that_is_trained(path, executed):
    nb = executed(path)
    text = "".join(runner.text_of(c) for c in nb.cells if "Learner::new" in c.source)
    assert "Linear" in text and "training on the CPU: fused path, " in text, text


def test_24a_shows_the_spread_over_seeds_beside_the_lecture(executed):
    nb = executed(next(p for p in LECTURE if p.name.startswith("24a")))
    text = "".join(runner.text_of(c) for c in nb.cells if "train_seeds" in c.source)
    assert "| seed | final train loss | final test acc (%) |" in text, text
    assert len(re.findall(r"^\| [0-4] \|", text, re.M)) == 5, text
    assert "| range |" in text and "46.1%" in text, text


# The kernel's type checker, which the patched kernel loads only for a `let` without a type,
# takes ~30 s and ~3 GB (tests/test_kernel.py); a shipped notebook never needs it.
TYPE_CHECKER_NOTICE = "Inferring the type of"


@pytest.mark.parametrize("path", ALL, ids=ids)
def test_no_cell_loads_the_type_checker(path, executed):
    nb = executed(path)
    text = "".join(runner.text_of(c) for c in nb.cells if c.cell_type == "code")
    assert TYPE_CHECKER_NOTICE not in text, text
    memory = nb.metadata["runner"]["peak_rss_mb"]
    assert 0 < memory["kernel"] < 600, memory


@pytest.mark.parametrize("path", LECTURE, ids=ids)
def test_training_cell_keeps_one_chart_and_its_summary(path, executed):
    """The live view redraws a chart and a progress line in place while the cell runs; the
    saved notebook keeps each once, in its final state, above the lecture's log."""
    nb = executed(path)
    cell = next(c for c in nb.cells if "training-loop" in c.metadata.get("tags", []))
    displays = [o for o in cell.outputs if o.output_type == "display_data"]
    charts = [o for o in displays if "image/png" in o.data]
    progress = [o.data["text/plain"] for o in displays if "image/png" not in o.data]
    assert len(charts) == 1 and png_width(charts[0].data["image/png"]) >= 600, displays
    epochs = len(runner.accuracies(nb))
    assert progress == [progress[0]] and progress[0].startswith(f"done: {epochs} epochs, "), progress
    kinds = [o.output_type for o in cell.outputs]
    assert kinds.index("stream") > max(i for i, k in enumerate(kinds) if k == "display_data"), kinds


B24 = next(p for p in LECTURE if p.name.startswith("24b"))


def test_24b_burn_cell_is_the_one_tested_against_learner_step():
    nb = json.loads(B24.read_text())
    cells = [c for c in nb["cells"] if "burn-update" in c["metadata"].get("tags", [])]
    assert len(cells) == 1
    assert "".join(cells[0]["source"]).strip() == marked_block(BURN_UPDATE, "24b burn")


def test_24b_burn_cell_agrees_with_learner_step(executed):
    nb = executed(B24)
    cell = next(c for c in nb.cells if "burn-update" in c.metadata.get("tags", []))
    text = runner.text_of(cell)
    shapes = re.findall(r"gradient of a weight: Some\(\[(\d+), (\d+)\]\)", text)
    assert shapes == [("784", "400"), ("400", "256"), ("256", "10")], text
    by_hand, by_step, gap = re.search(
        r"loss ([0-9.]+) by hand, ([0-9.]+) by learner.step; weights ([0-9.e+-]+) apart", text).groups()
    assert abs(float(by_hand) - float(by_step)) <= 1e-5 * float(by_step), text
    assert float(gap) <= 1e-5, text
