"""The scripts a user meets before any notebook: the environment file they source into their own
shell, the Python environment the set-up makes, and the headless runner's cell time limit.

Run through scripts/test.sh, which sets up the kernel first.
"""
import subprocess
import time

import nbformat
import pytest

from conftest import REPO, runner

# What a shell's state is made of, printed so that two states can be compared line by line.
SHELL_STATE = "set -o; shopt; trap -p; echo \"umask $(umask)\""


def test_sourcing_env_sh_leaves_the_shell_s_options_as_they_were(tmp_path):
    # An interactive bash, as a user's terminal runs it; errexit, if sourcing set it, would
    # close the terminal at the user's next failing command.
    script = (f"{SHELL_STATE} > before; source {REPO}/scripts/env.sh; {SHELL_STATE} > after; "
              "false; echo \"still here, JUPYTER_PATH=$JUPYTER_PATH\"; diff before after")
    done = subprocess.run(["bash", "--norc", "-i", "-c", script], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"options changed:\n{done.stdout}{done.stderr}"
    assert f"still here, JUPYTER_PATH={REPO}/.venv/share/jupyter" in done.stdout, done.stdout


def test_a_jupyter_server_starts_without_compiling_rfc3987_syntax_s_parsers():
    # The set-up removes rfc3987-syntax (2.2 s of a core at every server's start, for a format no
    # Jupyter schema uses); jsonschema still checks the formats Jupyter's schemas do use.
    code = ("import sys, jupyter_server.serverapp, jsonschema; "
            "checker = jsonschema.Draft7Validator.FORMAT_CHECKER; "
            "print('rfc3987_syntax' in sys.modules, checker.conforms('not a uri', 'uri'), "
            "checker.conforms('https://example.org/a', 'uri'))")
    done = subprocess.run([REPO / ".venv" / "bin" / "python", "-c", code],
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["False", "False", "True"], done.stdout + done.stderr


def notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "rust", "display_name": "Rust", "language": "rust"}
    return nb


def test_a_hung_cell_fails_the_run_with_its_name_within_its_time_limit(tmp_path):
    path = tmp_path / "hung.ipynb"
    nbformat.write(notebook("let answer: u32 = 42;",
                            "// waits for ever\nstd::thread::sleep(std::time::Duration::from_secs(3600));",
                            'println!("never reached");'), path)
    started = time.monotonic()
    with pytest.raises(runner.CellTimeout) as failed:
        runner.execute(path, out_dir=tmp_path / "out", cell_timeout=20)
    seconds = time.monotonic() - started
    assert str(failed.value) == "hung.ipynb: cell 1 (`// waits for ever`) did not finish within 20 s"
    # Kernel start and the first cell take a few seconds; nothing waits for the hour.
    assert seconds < 20 + 60, f"{seconds:.0f} s"
    executed = nbformat.read(tmp_path / "out" / "hung.ipynb", as_version=4)
    assert executed.cells[0].execution_count == 1, "the cells before it ran and were kept"
