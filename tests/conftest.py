"""What the notebook tests share: the headless runner (scripts/notebooks.py), the notebooks
executed once per session in quick mode, and a kernel to talk to cell by cell.

Run through scripts/test.sh, which sets up the kernel first.
"""
import pathlib
import queue
import subprocess
import sys
import threading
import time

import pytest
from jupyter_client.manager import KernelManager

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
import notebooks as runner  # noqa: E402


@pytest.fixture(scope="session")
def executed():
    """`executed(path)`: the notebook at `path` run in quick mode, once per test session."""
    cache = {}

    def run(path):
        if path not in cache:
            out_dir = REPO / "output" / "test-notebooks"
            cache[path] = runner.execute(path, quick=True, out_dir=out_dir)[0]
        return cache[path]

    return run


class Kernel:
    """The project's `rust` kernel, started in notebooks/, driven as JupyterLab drives it."""

    def __init__(self):
        # The ports a kernel is given were free when jupyter_client picked them, but another
        # socket may take one before the kernel binds it: with ten kernels starting at once, one
        # of them once died on "Address already in use". A Jupyter server then starts it again
        # on new ports (KernelRestarter.random_ports_until_alive); so do the tests, and only then.
        for attempt in (1, 2, 3):
            said = self._start()
            if said is None:
                return
            if "Address already in use" not in said or attempt == 3:
                raise RuntimeError(f"the kernel died before it answered; it said:\n{said}")

    def _start(self):
        """Starts the kernel as start_new_kernel does, its stderr passed on to ours; returns
        None once it answers, or what it wrote to stderr if it died first."""
        self.km = KernelManager(kernel_name="rust")
        self.km.start_kernel(cwd=str(REPO / "notebooks"), stderr=subprocess.PIPE)
        said = []

        def tee(pipe):
            for line in iter(pipe.readline, b""):
                said.append(line.decode(errors="replace"))
                sys.stderr.write(said[-1])

        reader = threading.Thread(target=tee, args=(self.km.provisioner.process.stderr,),
                                  daemon=True)
        reader.start()
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            self.kc.wait_for_ready(timeout=120)
            return None
        except RuntimeError:
            self.close(now=True)
            reader.join(timeout=10)
            return "".join(said)

    def start(self, code):
        return self.kc.execute(code)

    def wait(self, msg_id, timeout, until=None):
        """Output of `msg_id` until it is done (or until `until` appears in it); returns
        (text, errors, done)."""
        text, errors, deadline = "", [], time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                msg = self.kc.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                text += content["text"]
            elif kind == "execute_result":
                text += content["data"].get("text/plain", "")
            elif kind == "error":
                errors.append(f"{content['ename']}: {content['evalue']}")
            elif kind == "status" and content["execution_state"] == "idle":
                return text, errors, True
            if until and until in text:
                return text, errors, False
        raise TimeoutError(f"no answer in {timeout} s; so far: {text!r} {errors}")

    def run(self, code, timeout=300):
        text, errors, _ = self.wait(self.start(code), timeout)
        assert not errors, f"{code!r} failed: {errors} {text}"
        return text

    def peak_rss_mb(self):
        """Peak resident memory of the kernel process so far."""
        return runner.peak_rss_mb(self.km.provisioner.process.pid)

    def close(self, now=False):
        """Ends the kernel as JupyterLab does (a shutdown request), or kills it with `now`."""
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=now)


@pytest.fixture(scope="module")
def kernel():
    """One kernel for a test module's tests, in order."""
    k = Kernel()
    yield k
    k.close()
