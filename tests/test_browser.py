"""24b as a student meets it: JupyterLab from the project's environment, opened in a real
browser (Debian's chromium, driven by Playwright), every cell run through the page.

Run through scripts/test.sh, which sets up the kernel and installs chromium first. Leaves a
screenshot in output/browser/24b.png.
"""
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

import notebooks as runner

REPO = pathlib.Path(__file__).resolve().parent.parent

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUT = REPO / "output" / "browser"
# Flags for a root user in a container without a display or outside network.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Full data for five epochs (about 5 s of training): long enough to watch the live chart and
# progress line change while the cell runs.
LIVE = "let config: TrainingConfig = TrainingConfig { epochs: 5, ..config };"
EPOCHS = 5


def copy_of_24b():
    """24b with LIVE's settings, copied to output/browser/: outside notebooks/, as a student's
    copy is, it finds the support crate and the kernel's settings all the same."""
    import nbformat
    nb = nbformat.read(REPO / "notebooks" / "24b_update_per_minibatch.ipynb", as_version=4)
    runner.with_quick_parameters(nb, LIVE)
    OUT.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, OUT / "24b.ipynb")
    return "24b.ipynb"


@pytest.fixture(scope="module")
def lab():
    name = copy_of_24b()
    port = free_port()
    args = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
            f"--port={port}", f"--notebook-dir={OUT}", "--IdentityProvider.token=",
            "--ServerApp.password=", "--LabApp.expose_app_in_browser=True"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    log = open(OUT / "jupyterlab.log", "w")
    server = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail(f"JupyterLab did not start: see {OUT / 'jupyterlab.log'}")
    yield f"{url}/lab/tree/{name}"
    server.terminate()
    server.wait(timeout=30)
    log.close()


# The training cell's outputs, read in the page: the chart's image (its data URI's length and
# tail tell one drawing from the next), the progress line, and whether the cell is done.
TRAINING_CELL_STATE = """() => {
    const cell = [...document.querySelectorAll('.jp-CodeCell')]
        .find(c => c.querySelector('.jp-InputArea').innerText.includes('Recorder::new'));
    if (!cell) return null;
    const img = cell.querySelector('.jp-OutputArea-output img');
    const texts = [...cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="text/plain"]')];
    return {
        chart: img ? img.src.length + ':' + img.src.slice(-40) : null,
        progress: texts.length ? texts[0].innerText : null,
        done: /\\[\\d+\\]/.test(cell.querySelector('.jp-InputArea-prompt').textContent),
    };
}"""
# Records every state the training cell passes through, as the page changes, into
# window.trainingSeen: polling from outside would miss drawings that come while the browser
# and the kernel share two busy cores.
WATCH_TRAINING_CELL = """() => {
    const state = """ + TRAINING_CELL_STATE + """;
    const seen = window.trainingSeen = {charts: [], progress: [], done: false};
    const note = () => {
        const now = state();
        if (!now) return;
        if (now.chart && !seen.charts.includes(now.chart)) seen.charts.push(now.chart);
        if (now.progress && !seen.progress.includes(now.progress)) seen.progress.push(now.progress);
        seen.done = now.done;
    };
    new MutationObserver(note).observe(document.body,
        {subtree: true, childList: true, attributes: true, characterData: true});
    note();
}"""
PARAMETERS_DONE = """() => {
    const cell = [...document.querySelectorAll('.jp-CodeCell')]
        .find(c => c.querySelector('.jp-InputArea').innerText.includes('..TrainingConfig::per_minibatch()'));
    return cell && /\\[\\d+\\]/.test(cell.querySelector('.jp-InputArea-prompt').textContent);
}"""


def watch_training(page, timeout=600):
    """Waits until the training cell is done; returns the distinct charts and progress lines
    it showed while it ran, and saves a screenshot of it mid-run."""
    deadline, shot = time.monotonic() + timeout, False
    while time.monotonic() < deadline:
        seen = page.evaluate("() => window.trainingSeen")
        if seen["done"]:
            return seen["charts"], seen["progress"]
        if not shot and len(seen["charts"]) >= 2:
            page.screenshot(path=str(OUT / "24b-live.png"))
            shot = True
        time.sleep(0.2)
    pytest.fail(f"the training cell did not finish in {timeout} s")


def test_24b_runs_in_jupyterlab_in_chromium(lab):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        # Tall enough that JupyterLab renders every cell, plots included, for the screenshot.
        page = browser.new_page(viewport={"width": 1300, "height": 6000})
        opened = time.monotonic()
        page.goto(lab)
        page.wait_for_function("window.jupyterapp && document.querySelector('.jp-Notebook')",
                               timeout=120_000)
        shown = time.monotonic() - opened
        # The kernel the notebook names is the project's: started by itself, no kernel chooser.
        page.wait_for_function("""() => {
            const kernel = window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel;
            return kernel && kernel.status === 'idle';
        }""", timeout=120_000)
        assert not page.query_selector(".jp-Dialog"), "a dialog asks for a kernel"
        kernel_name = page.evaluate(
            "window.jupyterapp.shell.currentWidget.sessionContext.kernelDisplayName")
        idle = time.monotonic() - opened
        page.evaluate(WATCH_TRAINING_CELL)
        # Not awaited: the command's promise settles only when every cell has run.
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        page.wait_for_function(PARAMETERS_DONE, timeout=900_000, polling=100)
        answered = time.monotonic() - opened
        charts, progress = watch_training(page)
        # Every code cell done: a number in each prompt, none busy ([*]).
        page.wait_for_function("""() => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""", timeout=900_000, polling=1000)
        text = "\n".join(o.inner_text() for o in page.query_selector_all(".jp-OutputArea"))
        page.query_selector(".jp-OutputArea-output img").scroll_into_view_if_needed()
        page.screenshot(path=str(OUT / "24b.png"))
        errors = page.query_selector_all(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        error_text = "\n".join(e.inner_text() for e in errors)
        images = page.query_selector_all(".jp-OutputArea-output img")
        browser.close()
    seconds = {"notebook shown": shown, "kernel idle": idle, "parameters cell answered": answered}
    (OUT / "timings.json").write_text(json.dumps(seconds))
    print("page opened -> " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))
    assert kernel_name == "Rust (learning-rules)", kernel_name
    for epoch in range(1, EPOCHS + 1):
        assert f"At Epoch {epoch}: Loss = " in text, text
    assert text.count("Epoch completed in ") == EPOCHS, text
    assert not errors, f"a cell shows an error: {error_text}"
    assert len(images) == 3 + 1, f"{len(images)} images for the 3 plot cells and the live chart"
    # While the cell ran, its chart was redrawn (a placeholder first, then at least two drawings
    # before the final one) and its progress line moved.
    assert len(charts) >= 3, f"{len(charts)} distinct charts seen while training"
    running = [line for line in progress if line.startswith("epoch ")]
    assert len(running) >= 2 and all("samples/s" in line for line in running), progress
