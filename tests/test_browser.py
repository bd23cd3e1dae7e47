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

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
import notebooks as runner  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUT = REPO / "output" / "browser"
# Flags for a root user in a container without a display or outside network.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def quick_copy_of_24b():
    """24b in quick mode, its `:dep` path made absolute, in output/browser/."""
    import nbformat
    nb = nbformat.read(REPO / "notebooks" / "24b_update_per_minibatch.ipynb", as_version=4)
    runner.with_quick_parameters(nb, runner.QUICK["24b"])
    for cell in nb.cells:
        cell.source = cell.source.replace('"../crates/learning-rules"',
                                          json.dumps(str(REPO / "crates" / "learning-rules")))
    OUT.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, OUT / "24b.ipynb")
    return "24b.ipynb"


@pytest.fixture(scope="module")
def lab():
    name = quick_copy_of_24b()
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


def test_24b_runs_in_jupyterlab_in_chromium(lab):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        # Tall enough that JupyterLab renders every cell, plots included, for the screenshot.
        page = browser.new_page(viewport={"width": 1300, "height": 6000})
        page.goto(lab)
        page.wait_for_function("window.jupyterapp && document.querySelector('.jp-Notebook')",
                               timeout=120_000)
        # The kernel the notebook names is the project's: started by itself, no kernel chooser.
        page.wait_for_function("""() => {
            const kernel = window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel;
            return kernel && kernel.status === 'idle';
        }""", timeout=120_000)
        assert not page.query_selector(".jp-Dialog"), "a dialog asks for a kernel"
        kernel_name = page.evaluate(
            "window.jupyterapp.shell.currentWidget.sessionContext.kernelDisplayName")
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
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
    assert kernel_name == "Rust (learning-rules)", kernel_name
    assert "At Epoch 1: Loss = " in text and "At Epoch 2: Loss = " in text, text
    assert text.count("Epoch completed in ") == 2, text
    assert not errors, f"a cell shows an error: {error_text}"
    assert len(images) == 3, f"{len(images)} images for the 3 plot cells"
