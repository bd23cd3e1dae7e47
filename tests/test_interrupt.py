"""Stop (■) during a training cell: the cell ends at the next batch with the run so far, and the
kernel keeps every variable (the patched evcxr turns the interrupt into SIGINT, the crate's
training loops stop on it). Driven through jupyter_client, as JupyterLab's Stop button does.

Run through scripts/test.sh, which sets up the kernel first.
"""
import json
import pathlib
import re
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
NB_24C = REPO / "notebooks" / "24c_update_per_sample.ipynb"


def cells_24c():
    nb = json.loads(NB_24C.read_text())
    return [(c["metadata"].get("tags", []), "".join(c["source"]))
            for c in nb["cells"] if c["cell_type"] == "code"]


def interrupt_after_first_epoch(kernel, code, settle=0.0):
    """Runs `code`, presses Stop `settle` seconds after it has logged an epoch; returns
    (output, seconds from Stop to the cell's end)."""
    msg_id = kernel.start(code)
    first, errors, done = kernel.wait(msg_id, 300, until="Epoch completed in")
    assert not done and not errors, f"the cell ended before Stop: {first} {errors}"
    time.sleep(settle)
    pressed = time.monotonic()
    kernel.km.interrupt_kernel()
    rest, errors, done = kernel.wait(msg_id, 60)
    assert done and not errors, f"{errors} {rest}"
    return first + rest, time.monotonic() - pressed


def test_stop_ends_the_notebook_loop_and_keeps_every_variable(kernel):
    cells = cells_24c()
    setup = [src for tags, src in cells if "training-loop" not in tags][:4]  # :dep … network
    assert setup[1].startswith("let config"), setup[1]
    for src in setup:
        kernel.run(src)
    # Whole epochs of 60,000 (about 2 s on two cores) and Stop 0.3 s into the second: Stop
    # lands inside an epoch, not between two (where the chart is drawn), on any machine up to
    # several times faster than CI's.
    kernel.run("let config: TrainingConfig = TrainingConfig { epochs: 1000, ..config };"
               "\nlet mut learner: Learner = Learner::new(&data, &config)?;")
    loop = next(src for tags, src in cells if "training-loop" in tags)
    text, seconds = interrupt_after_first_epoch(kernel, loop, settle=0.3)
    assert "Interrupted at epoch " in text, text
    assert seconds < 5, f"the cell took {seconds:.1f} s to end after Stop"
    done = re.search(r"^Interrupted at epoch \d+, update \d+ \(([\d,]+) of 60,000 samples\)", text, re.M)
    assert done, text
    partial = kernel.run('println!("{}", run.history.epochs.last().unwrap().partial);').strip()
    if done.group(1) == "0":
        # Stop came between two epochs after all: no epoch was cut short, none is called so.
        assert "stopped after" not in text and partial == "false", (text, partial)
    else:
        # The epoch Stop cut short is called what it is, and recorded as partial.
        assert re.search(rf"^Epoch \d+ stopped after {done.group(1)} of 60,000 samples \(\dm [\d.]+s\)$",
                         text, re.M), text
        assert partial == "true", partial
    # The run so far, the data and the learner are all still there.
    after = kernel.run('println!("{} epochs, {:?}, {} test images, {} samples", '
                       'run.history.epochs.len(), run.history.stopped.as_ref().map(|s| &s.reason), '
                       'data.test.len(), learner.train_len());')
    assert "Some(Interrupted), 10000 test images, 60000 samples" in after, after
    epochs = int(after.split(" epochs")[0].split()[-1])
    assert epochs >= 1, after
    print(f"Stop to cell end: {seconds:.2f} s")


def test_stop_ends_train_with_the_run_so_far(kernel):
    text, seconds = interrupt_after_first_epoch(
        kernel,
        "let long: TrainingConfig = TrainingConfig { epochs: 1000, train_samples: Some(6_000), "
        "..TrainingConfig::per_minibatch() };\n"
        "let run2: Run = train_with(&data, &long, LectureLog::default())?;\n"
        'println!("kept {} epochs", run2.history.epochs.len());')
    assert "Interrupted at epoch " in text and "kept " in text, text
    assert seconds < 5, seconds
    # A variable from before the interrupted cell still answers.
    assert "6000" in kernel.run('println!("{}", learner.train_len());')


def test_stop_while_no_cell_runs_keeps_every_variable(kernel):
    """Stop pressed on an idle kernel, or while the next cell still compiles (the code's process
    waits for it just the same), has nothing to stop: the variables stay (evcxr patch 0014)."""
    kernel.run("let kept_through_stop: u32 = 42;")
    kernel.km.interrupt_kernel()
    time.sleep(1)  # the interrupt has reached the code's process
    assert kernel.run('println!("{kept_through_stop}");').strip() == "42"
