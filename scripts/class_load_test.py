"""Load test of the class hub (scripts/class.sh): N simulated students on 127.0.0.1, each doing
what a student does in JupyterLab, through the same HTTP and websocket calls.

    scripts/class-load-test.sh --students 1 5 10 20     # one run per N, both scenarios

Every student logs in with the class password (the login form), which starts their server; opens
their own copy of 24b (the contents API), starts a kernel for it (the sessions API) and runs it cell
by cell in quick mode over the kernel's websocket, thinking a few seconds between cells. Then they
edit `batch_size` and run the training cell again, and press Stop once during a third run
(the interrupt API), then list their variables (`:vars`) to see that none was lost. Arrivals are
spread over the first minute (`--arrival-seconds`).

The second scenario, "same moment", has every student press Shift+Enter on the training cell at
once, after the cells before it, and then run the summary cell that follows it.

Measured per student: login → parameters cell answered (the student's thinking between the cells
before it left out: what the system made them wait), every light cell's seconds, the training
seconds of each epoch (evaluation left out, to the hundredth: the table that the summary cell after
the training cell prints; against N = 1), failures (a cell error, a failed login or start),
variables lost after Stop, and the peak resident memory of everything that runs as them
(single-user server, kernel, worker) sampled every half second; and the hub's and proxy's memory.
Printed as a table and written to output/class/summary.json, one object per N.
"""
import argparse
import asyncio
import datetime
import json
import os
import pathlib
import pwd
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
import uuid

import aiohttp

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "deploy" / "class"))
import notebooks as runner  # noqa: E402
import ports  # noqa: E402

# The server serves ~/lecture-24, the student's copy (deploy/class/jupyterhub_config.py).
NOTEBOOK = "24b_update_per_minibatch.ipynb"
INTERRUPTED = re.compile(r"Interrupted at epoch \d+")
EDITED = "let config: TrainingConfig = TrainingConfig { batch_size: 50, ..config };"
LONGER = "let config: TrainingConfig = TrainingConfig { epochs: 40, ..config };"


def execute_request(code, username, session_id):
    """The message JupyterLab sends over a kernel's websocket to run a cell."""
    return {
        "header": {"msg_id": uuid.uuid4().hex, "username": username, "session": session_id,
                   "msg_type": "execute_request", "version": "5.3",
                   "date": datetime.datetime.now(datetime.timezone.utc).isoformat()},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    }


# The hub's own three ports (the proxy's public one, the hub's, the proxy's API) come from here:
# above the students' servers' default range and, like it, below the system's ephemeral ports
# (deploy/class/ports.py says why), so that no server or kernel given port 0 while the hub starts
# can take one of them before the hub binds it.
HUB_PORTS = "30000-32767"


def hub_ports(n=3):
    """`n` free ports from HUB_PORTS, all different."""
    book = ports.PortBook(*ports.checked_range(HUB_PORTS), hold_seconds=float("inf"))
    return [book.take() for _ in range(n)]


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def processes():
    """(pid, uid, command line) of every process."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            uid = entry.stat().st_uid
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found.append((int(entry.name), uid, cmd))
    return found


class Memory:
    """Peak resident memory of each student's processes together, and of the hub and proxy. A
    student's total is counted twice: the single-user server, the kernel and the process that
    runs the cells (what stays), and everything that runs as them (the compiler of a cell too,
    for the moment it runs)."""

    STAYS = ("jupyterhub-singleuser", "evcxr_jupyter")

    def __init__(self, names):
        self.uids = {}
        self.names = names
        self.peak = {name: 0.0 for name in names}
        self.peak_all = {name: 0.0 for name in names}
        self.hub_peak = 0.0

    async def watch(self, stop):
        while not stop.is_set():
            for name in self.names:
                if name not in self.uids:
                    try:
                        self.uids[name] = pwd.getpwnam(name).pw_uid
                    except KeyError:
                        pass
            stays = {uid: 0.0 for uid in self.uids.values()}
            everything = dict(stays)
            hub = 0.0
            for pid, uid, cmd in processes():
                if uid in stays:
                    rss = rss_mb(pid)
                    everything[uid] += rss
                    if any(name in cmd for name in self.STAYS):
                        stays[uid] += rss
                elif "jupyterhub " in cmd or "configurable-http-proxy" in cmd:
                    hub += rss_mb(pid)
            for name, uid in self.uids.items():
                self.peak[name] = max(self.peak[name], stays[uid])
                self.peak_all[name] = max(self.peak_all[name], everything[uid])
            self.hub_peak = max(self.hub_peak, hub)
            await asyncio.sleep(0.5)


class Failed(Exception):
    """Something a student did went wrong: counted as a failure, with this message."""


class Student:
    def __init__(self, hub, name, password, think, seed):
        self.hub, self.name, self.password = hub, name, password
        self.think = think
        self.random = random.Random(seed)
        self.session_id = uuid.uuid4().hex
        self.light, self.epochs, self.errors = [], [], []
        self.first_answer = None
        self.lost_variables = 0
        self.stop_seconds = None
        self.training_cell = None
        self.thought = 0.0  # seconds spent thinking between cells

    @property
    def user_url(self):
        return f"{self.hub}/user/{self.name}"

    def xsrf(self, path):
        for cookie in self.http.cookie_jar:
            if cookie.key == "_xsrf" and path.startswith(cookie["path"] or "/"):
                return cookie.value
        return ""

    async def pause(self):
        seconds = self.random.uniform(*self.think)
        self.thought += seconds
        await asyncio.sleep(seconds)

    async def login_and_start(self, timeout=180):
        async with self.http.get(f"{self.hub}/hub/login") as r:
            if r.status != 200:
                raise Failed(f"login page: HTTP {r.status}")
        form = {"username": self.name, "password": self.password,
                "_xsrf": self.xsrf("/hub/login")}
        async with self.http.post(f"{self.hub}/hub/login?next=", data=form) as r:
            if "login" in str(r.url) and r.status != 200 or "Invalid" in await r.text():
                raise Failed(f"login refused: {r.status} {r.url}")
        # The login asks the hub to start the server; a browser then waits on the hub's pending
        # page and goes on to the lab page, which signs it in to the server (OAuth): as we do.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            async with self.http.get(f"{self.user_url}/lab") as r:
                if r.status == 200 and r.url.path.startswith(f"/user/{self.name}/"):
                    return
                if "Spawn failed" in await r.text():
                    raise Failed(f"server did not start: the hub says the spawn failed ({r.url})")
            await asyncio.sleep(0.5)
        raise Failed("server did not start")

    def api_headers(self):
        return {"X-XSRFToken": self.xsrf(f"/user/{self.name}/"), "Referer": f"{self.user_url}/lab"}

    async def open_notebook(self):
        async with self.http.get(f"{self.user_url}/api/contents/{NOTEBOOK}") as r:
            if r.status != 200:
                raise Failed(f"{NOTEBOOK}: HTTP {r.status}")
            content = (await r.json())["content"]
        cells = [c for c in content["cells"] if c["cell_type"] == "code"]
        code, tags = [], []
        for cell in cells:
            source = "".join(cell["source"])
            code.append(source)
            tags.append(cell.get("metadata", {}).get("tags", []))
            if "parameters" in tags[-1]:
                code.append(runner.quick_code("24b"))
                tags.append(["injected-parameters"])
        body = {"path": NOTEBOOK, "type": "notebook", "name": "",
                "kernel": {"name": "rust"}}
        async with self.http.post(f"{self.user_url}/api/sessions", json=body,
                                  headers=self.api_headers()) as r:
            if r.status not in (200, 201):
                raise Failed(f"session: HTTP {r.status} {await r.text()}")
            self.kernel_id = (await r.json())["kernel"]["id"]
        url = (f"{self.user_url.replace('http', 'ws', 1)}/api/kernels/{self.kernel_id}/channels"
               f"?session_id={self.session_id}")
        self.ws = await self.http.ws_connect(url, headers=self.api_headers(), max_msg_size=0)
        self.replies = {}
        self.reader = asyncio.create_task(self.read())
        return code, tags

    async def read(self):
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            msg = json.loads(message.data)
            parent = msg.get("parent_header", {}).get("msg_id")
            if parent in self.replies:
                await self.replies[parent].put(msg)

    async def execute(self, code, on_output=None, timeout=600):
        """Runs `code`; returns (seconds, text, errors)."""
        request = execute_request(code, self.name, self.session_id)
        msg_id = request["header"]["msg_id"]
        queue = self.replies[msg_id] = asyncio.Queue()
        await self.ws.send_json(request)
        started, text, errors = time.monotonic(), [], []
        try:
            while True:
                msg = await asyncio.wait_for(queue.get(), timeout)
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream":
                    text.append(content["text"])
                    if on_output:
                        on_output()
                elif kind in ("execute_result", "display_data") and "text/plain" in content.get("data", {}):
                    text.append(content["data"]["text/plain"])
                elif kind == "error":
                    errors.append(f"{content['ename']}: {content['evalue']}")
                elif kind == "status" and content["execution_state"] == "idle":
                    return time.monotonic() - started, "".join(text), errors
        finally:
            del self.replies[msg_id]

    async def run_cell(self, code, kind):
        try:
            seconds, text, errors = await self.execute(code)
        except asyncio.TimeoutError:
            raise Failed(f"cell `{code.splitlines()[0][:40]}`: no answer") from None
        if errors:
            raise Failed(f"cell `{code.splitlines()[0][:40]}`: {errors[0]}")
        if kind == "light":
            self.light.append(seconds)
        return text

    async def interrupt(self):
        async with self.http.post(f"{self.user_url}/api/kernels/{self.kernel_id}/interrupt",
                                  headers=self.api_headers()) as r:
            if r.status not in (200, 204):
                raise Failed(f"interrupt: HTTP {r.status}")

    async def variables(self):
        _, text, _ = await self.execute(":vars")
        return {line.split(":")[0].strip() for line in text.splitlines() if ":" in line}

    async def session(self, started_at, scenario, barrier):
        """Everything one student does; returns nothing, records what it measured."""
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as self.http:
            try:
                await asyncio.sleep(started_at)
                begun = time.monotonic()
                await self.login_and_start()
                code, tags = await self.open_notebook()
                for cell, cell_tags in zip(code, tags):
                    kind = ("parameters" if {"parameters", "injected-parameters"} & set(cell_tags)
                            else "heavy" if any(h in cell for h in runner.HEAVY) else "light")
                    is_training = "Recorder::new" in cell
                    if is_training:
                        self.training_cell = cell
                        if scenario == "same-moment":
                            try:
                                await asyncio.wait_for(barrier.wait(), 900)
                            except (asyncio.BrokenBarrierError, asyncio.TimeoutError):
                                pass  # someone failed before it: press it anyway
                    text = await self.run_cell(cell, kind)
                    if kind == "parameters" and self.first_answer is None and "injected-parameters" in cell_tags:
                        # What the system made them wait: their own thinking left out.
                        self.first_answer = time.monotonic() - begun - self.thought
                    # The summary table's training seconds (the lecture's `Epoch completed in
                    # 0m 0.1s` gives tenths, training and evaluation together).
                    summary = runner.SUMMARY_ROW.findall(text)
                    if summary and not self.epochs:
                        self.epochs = [float(seconds) for seconds in summary]
                        if scenario == "same-moment":
                            return  # that scenario measures the training cell pressed at once
                    if not (is_training and scenario == "same-moment"):
                        await self.pause()  # (pressed at once, its summary is read at once)
                await self.edit_rerun_and_stop()
            except (Failed, asyncio.TimeoutError, aiohttp.ClientError) as e:
                self.errors.append(f"{type(e).__name__}: {e}")
                if scenario == "same-moment" and not barrier.broken:
                    await barrier.abort()
            finally:
                if hasattr(self, "ws"):
                    await self.ws.close()
                    self.reader.cancel()

    async def edit_rerun_and_stop(self):
        await self.run_cell(EDITED, "parameters")
        await self.pause()
        await self.run_cell(self.training_cell, "heavy")
        await self.pause()
        before = await self.variables()
        # Stop during a run long enough to be stopped: the quick settings' twenty-fold.
        await self.run_cell(LONGER, "parameters")
        first_output = asyncio.Event()
        running = asyncio.create_task(self.execute(self.training_cell, on_output=first_output.set))
        await asyncio.wait_for(first_output.wait(), 120)
        await asyncio.sleep(0.5)
        pressed = time.monotonic()
        await self.interrupt()
        _, text, errors = await running
        self.stop_seconds = time.monotonic() - pressed
        if not INTERRUPTED.search(text):
            raise Failed(f"Stop: no `Interrupted at epoch` line ({errors or text[-200:]!r})")
        after = await self.variables()
        self.lost_variables = len(before - after)


async def stop_servers(hub, token, names):
    headers = {"Authorization": f"token {token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        for name in names:
            async with http.delete(f"{hub}/hub/api/users/{name}/server") as r:
                pass
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            running = 0
            for name in names:
                async with http.get(f"{hub}/hub/api/users/{name}") as r:
                    if r.status == 200 and (await r.json()).get("servers"):
                        running += 1
            if not running:
                return
            await asyncio.sleep(1)


def end_processes_of(names):
    """The simulated students' processes left from an earlier run that was killed (a kernel
    outlives a server that is killed rather than stopped): they would count in the memory."""
    for name in names:
        subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)


async def run(hub, password, token, n, scenario, a):
    names = [f"{a.prefix}{i:02d}" for i in range(1, n + 1)]
    end_processes_of(names)
    rng = random.Random(n)
    arrivals = sorted(rng.uniform(0, a.arrival_seconds) for _ in names) if n > 1 else [0.0]
    students = [Student(hub, name, password, a.think, seed=i) for i, name in enumerate(names)]
    memory = Memory(names)
    stop = asyncio.Event()
    watcher = asyncio.create_task(memory.watch(stop))
    barrier = asyncio.Barrier(n)
    started = time.monotonic()
    await asyncio.gather(*(s.session(t, scenario, barrier) for s, t in zip(students, arrivals)))
    wall = time.monotonic() - started
    stop.set()
    await watcher
    await stop_servers(hub, token, names)
    epochs = [e for s in students for e in s.epochs]
    return {
        "failures": sum(1 for s in students if s.errors),
        "errors": [f"{s.name}: {e}" for s in students for e in s.errors],
        "lost_variables": sum(s.lost_variables for s in students),
        "first_answer_p50_s": percentile([s.first_answer for s in students if s.first_answer], 50),
        "first_answer_p95_s": percentile([s.first_answer for s in students if s.first_answer], 95),
        "light_cell_p50_s": percentile([x for s in students for x in s.light], 50),
        "light_cell_p95_s": percentile([x for s in students for x in s.light], 95),
        "light_cells": sum(len(s.light) for s in students),
        "epoch_seconds_median": statistics.median(epochs) if epochs else None,
        "stop_seconds_max": max((s.stop_seconds for s in students if s.stop_seconds), default=None),
        "rss_per_student_mb": statistics.mean(memory.peak.values()) if n else None,
        "rss_per_student_max_mb": max(memory.peak.values()),
        "rss_per_student_with_compiler_mb": statistics.mean(memory.peak_all.values()),
        "hub_rss_mb": memory.hub_peak,
        "wall_seconds": wall,
    }


def start_hub(a, password, token, settings=None):
    """The hub, started by class.sh on ports of HUB_PORTS with the class's `settings` (env
    LEARNING_RULES_CLASS_*) added; returns the process and its URL."""
    port, hub_port, api_port = hub_ports()
    env = {**os.environ, **(settings or {}), "LEARNING_RULES_CLASS_PASSWORD": password,
           "LEARNING_RULES_CLASS_PORT": str(port),
           "LEARNING_RULES_CLASS_HUB_PORT": str(hub_port),
           "LEARNING_RULES_CLASS_PROXY_API_PORT": str(api_port),
           "LEARNING_RULES_CLASS_LOAD_TEST_TOKEN": token}
    log = open(a.out / "hub.log", "w")
    hub = subprocess.Popen([str(REPO / "scripts" / "class.sh"), "serve"], env=env, stdout=log,
                           stderr=subprocess.STDOUT, start_new_session=True)
    return hub, f"http://127.0.0.1:{port}"


async def wait_for_hub(url, hub, timeout=900):
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if hub.poll() is not None:
                raise SystemExit(f"the hub ended (exit {hub.returncode}): see its log")
            try:
                async with http.get(f"{url}/hub/health") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(1)
    raise SystemExit("the hub did not answer")


def table(rows):
    cols = ["students", "failures", "lost_variables", "first_answer_p50_s", "first_answer_p95_s",
            "light_cell_p50_s", "light_cell_p95_s", "epoch_seconds_median", "epoch_seconds_ratio",
            "rss_per_student_mb", "hub_rss_mb"]
    lines = ["| scenario | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    for row in rows:
        for scenario, values in (("spread", row), ("same moment", row.get("same_moment"))):
            if not values:
                continue
            cells = [str(row["students"])] + [
                "" if values.get(c) is None else
                f"{values[c]:.2f}" if isinstance(values[c], float) else str(values[c])
                for c in cols[1:]]
            lines.append(f"| {scenario} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


async def main_async(a):
    password, token = secrets.token_urlsafe(12), secrets.token_hex(32)
    hub, url = start_hub(a, password, token)
    try:
        await wait_for_hub(url, hub)
        rows, baseline = [], {}
        for n in a.students:
            row = {"students": n}
            for scenario in a.scenarios:
                print(f"== {n} students, {scenario}", flush=True)
                result = await run(url, password, token, n, scenario, a)
                if n == min(a.students) and result["epoch_seconds_median"]:
                    baseline.setdefault(scenario, result["epoch_seconds_median"] / 1)
                if result["epoch_seconds_median"] and scenario in baseline:
                    result["epoch_seconds_ratio"] = result["epoch_seconds_median"] / baseline[scenario]
                for error in result["errors"]:
                    print(f"   {error}", flush=True)
                if scenario == "spread":
                    row.update(result)
                else:
                    row["same_moment"] = result
            rows.append(row)
        return rows
    finally:
        stop_hub(hub)


def stop_hub(hub):
    """Ends the hub and everything it started (the proxy, the culler, the students' servers)."""
    try:
        os.killpg(hub.pid, signal.SIGTERM)
        hub.wait(timeout=60)
    except ProcessLookupError:
        pass  # it had ended already
    except subprocess.TimeoutExpired:
        os.killpg(hub.pid, signal.SIGKILL)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, nargs="+", default=[1, 5, 10, 20])
    ap.add_argument("--scenarios", nargs="+", default=["spread", "same-moment"],
                    choices=["spread", "same-moment"])
    ap.add_argument("--arrival-seconds", type=float, default=60.0)
    ap.add_argument("--think", type=float, nargs=2, default=[2.0, 5.0], metavar=("MIN", "MAX"))
    ap.add_argument("--prefix", default="student", help="student names: PREFIX01, PREFIX02, …")
    ap.add_argument("--out", type=pathlib.Path, default=REPO / "output" / "class")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    rows = asyncio.run(main_async(a))
    print(table(rows))
    (a.out / "summary.json").write_text(json.dumps(rows, indent=2) + "\n")
    print(f"== {a.out / 'summary.json'}")
    sys.exit(1 if any(r.get("failures") or (r.get("same_moment") or {}).get("failures")
                      for r in rows) else 0)


if __name__ == "__main__":
    main()
