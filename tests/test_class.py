"""The class on one machine (scripts/class.sh, deploy/class/): JupyterHub with three students on
127.0.0.1, each running cells in their own kernel as their own system user, none able to read
another's copy; a wrong password refused; a fresh copy on request. The image and Helm values for Kubernetes are
checked as far as this machine can: they parse, and say what the class set-up says. The load test
is test_class_load.py's: it starts a hub of its own, after this module's has stopped.

Needs root (it makes system users). Run through scripts/test.sh.
"""
import asyncio
import json
import os
import pathlib
import pwd
import re
import secrets
import subprocess
import sys
import urllib.parse

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "deploy" / "class"))
import limits  # noqa: E402
import ports  # noqa: E402
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="makes system users: run as root")

CLASS_ROOT = pathlib.Path(os.environ.get("LEARNING_RULES_CLASS_ROOT", "/srv/learning-rules"))
STUDENTS = ["classtesta", "classtestb", "classtestc"]
MEMORY = "2G"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    import class_load_test as load

    subprocess.run([REPO / "scripts" / "class.sh", "install"], check=True)
    out = tmp_path_factory.mktemp("hub")
    password, token = secrets.token_urlsafe(12), secrets.token_hex(32)
    args = type("Args", (), {"out": out})
    # A student's cap lower than the class's 4G, so that a cell can outgrow it in a second.
    process, url = load.start_hub(args, password, token, {"LEARNING_RULES_CLASS_MEMORY": MEMORY})
    try:
        asyncio.run(load.wait_for_hub(url, process))
        yield url, password, token
    finally:
        asyncio.run(load.stop_servers(url, token, STUDENTS))
        load.stop_hub(process)


async def student_session(url, name, password, cells):
    """Logs `name` in, opens 24b's kernel and runs `cells`; returns their outputs."""
    import aiohttp
    import class_load_test as load

    student = load.Student(url, name, password, think=(0, 0), seed=0)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as student.http:
        await student.login_and_start()
        await student.open_notebook()
        try:
            return [await student.execute(cell) for cell in cells]
        finally:
            await student.ws.close()
            student.reader.cancel()


def test_a_wrong_password_is_refused(hub):
    import class_load_test as load

    url, password, _ = hub
    with pytest.raises(load.Failed, match="login refused"):
        asyncio.run(student_session(url, STUDENTS[0], password + "x", []))


def test_three_students_each_run_cells_in_their_own_kernel_and_cannot_read_each_other(hub):
    url, password, _ = hub
    copy_of = lambda name: f"/home/{name}/lecture-24/24b_update_per_minibatch.ipynb"  # noqa: E731
    shared = json.loads((CLASS_ROOT / "project/.venv/share/jupyter/kernels/rust/kernel.json")
                        .read_text())["env"]["EVCXR_SHARED_BUILD"]

    async def everyone():
        sessions = []
        for i, name in enumerate(STUDENTS):
            neighbour = STUDENTS[(i + 1) % len(STUDENTS)]
            sessions.append(student_session(url, name, password, [
                ':dep learning-rules = "0.1"\nuse learning_rules::prelude::*;',
                'println!("{} {}", std::env::var("USER").unwrap(), TrainingConfig::per_minibatch().batch_size);',
                # Their own copy: readable and writable.
                f'let mine: bool = std::fs::read_to_string("{copy_of(name)}").is_ok();',
                # A neighbour's copy, the shared build and the originals: out of reach.
                f'let theirs: bool = std::fs::read_to_string("{copy_of(neighbour)}").is_ok();',
                f'let shared: bool = std::fs::write("{shared}/student-was-here", "x").is_ok();',
                f'let originals: bool = std::fs::write("{CLASS_ROOT}/project/notebooks/x.ipynb", "x").is_ok();',
                'println!("mine {mine} theirs {theirs} shared {shared} originals {originals}");',
                # Where their server listens (the server's environment, which the kernel inherits).
                'println!("{}", std::env::var("JUPYTERHUB_SERVICE_URL").unwrap());',
            ]))
        return await asyncio.gather(*sessions)

    results = asyncio.run(everyone())
    for name, outputs in zip(STUDENTS, results):
        assert [errors for _, _, errors in outputs] == [[]] * len(outputs), (name, outputs)
        assert outputs[1][1].strip() == f"{name} 100"
        assert outputs[-2][1].strip() == "mine true theirs false shared false originals false"
        home = pwd.getpwnam(name).pw_dir
        assert os.stat(home).st_mode & 0o777 == 0o700
        notebook = pathlib.Path(copy_of(name))
        assert notebook.stat().st_uid == pwd.getpwnam(name).pw_uid
    assert not (pathlib.Path(shared) / "student-was-here").exists()
    # Every server on its own port from the class's book (deploy/class/ports.py), none from the
    # system's port-0 range, where JupyterHub's own choice could give two servers the same one.
    first, last = ports.parse_range(ports.DEFAULT_RANGE)
    server_ports = [urllib.parse.urlsplit(outputs[-1][1].strip()).port for outputs in results]
    assert all(first <= port <= last for port in server_ports), server_ports
    assert len(set(server_ports)) == len(STUDENTS), server_ports


def test_a_student_who_outgrows_their_memory_loses_only_their_own_kernel_s_variables(hub):
    """Each student's server, kernels and compilers share a memory cap of their own
    (deploy/class/limits.py): a cell that allocates past it ends that student's code process,
    though the machine has memory to spare, while a neighbour's variables stay."""
    try:
        shares = limits.Shares.find(limits.parse_memory(MEMORY))
    except limits.Unavailable as reason:
        pytest.skip(f"the hub runs without caps here: {reason}")
    url, password, _ = hub
    hog, neighbour = STUDENTS[0], STUDENTS[1]
    dep = ':dep learning-rules = "0.1"\nuse learning_rules::prelude::*;'
    groups = 'println!("{}", std::fs::read_to_string("/proc/self/cgroup").unwrap());'

    async def both():
        return await asyncio.gather(
            student_session(url, hog, password, [
                dep, "let before: u64 = 7;",
                # 3 GiB, written (so resident): past the 2G cap.
                "let hog: Vec<u8> = vec![1u8; 3 << 30]; println!(\"{}\", hog.len());",
                groups]),
            student_session(url, neighbour, password, [
                dep, "let kept: u64 = 42;",
                "std::thread::sleep(std::time::Duration::from_secs(20));",
                'println!("{kept}");']))

    (hogged, kept) = asyncio.run(both())
    assert [errors for _, _, errors in kept] == [[]] * 4, kept
    assert kept[-1][1].strip() == "42"
    assert hogged[1][2] == [], hogged
    said = " ".join(hogged[2][2])
    # evcxr patch 0016: the student is told what most likely happened and what they lost.
    assert "Subprocess terminated with status: signal: 9 (SIGKILL)" in said, hogged
    assert "it most likely ran out of memory" in said, hogged
    lost = re.search(r"Its variables were lost with it: (.*)\. Run the code that defines them", said)
    assert lost and "`before`" in lost[1].split(", "), hogged
    # The next cell runs (in a new code process, the variables gone), still in the student's
    # groups; the system's record says their group's cap was hit, not the machine's.
    assert hogged[3][2] == [], hogged
    listed = hogged[3][1]
    assert f"/{limits.PARENT}/{hog}" in listed, listed
    if shares.version == 1:
        group = limits.ROOT / "memory" / limits.PARENT / hog
        cap, record = group / "memory.limit_in_bytes", group / "memory.oom_control"
    else:
        group = limits.ROOT / limits.PARENT / hog
        cap, record = group / "memory.max", group / "memory.events"
    assert cap.read_text().strip() == str(2 * 1024 ** 3)
    kills = dict(line.split() for line in record.read_text().splitlines())["oom_kill"]
    assert int(kills) >= 1, record.read_text()


def test_a_system_account_is_never_a_student(hub):
    import class_load_test as load

    url, password, _ = hub
    name = "classtestsys"
    if subprocess.run(["id", name], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--no-create-home", name], check=True)
    with pytest.raises(load.Failed, match="server did not start"):
        asyncio.run(student_session(url, name, password, []))


def test_a_fresh_copy_moves_the_old_one_aside():
    name = STUDENTS[0]
    home = pathlib.Path(pwd.getpwnam(name).pw_dir)
    edited = home / "lecture-24" / "24b_update_per_minibatch.ipynb"
    edited.write_text("{}")
    done = subprocess.run([REPO / "scripts" / "class.sh", "fresh-copy", name],
                          capture_output=True, text=True, check=True)
    assert "fresh copy in" in done.stdout
    original = (CLASS_ROOT / "project/notebooks/24b_update_per_minibatch.ipynb").read_text()
    assert edited.read_text() == original
    aside = [p for p in home.iterdir() if p.name.startswith("lecture-24.")]
    assert any((p / edited.name).read_text() == "{}" for p in aside)


def test_the_kubernetes_files_say_what_the_class_set_up_says():
    import yaml

    values = yaml.safe_load((REPO / "deploy/kubernetes/values.yaml").read_text())
    assert values["hub"]["config"]["JupyterHub"]["authenticator_class"] == "shared-password"
    assert "SharedPasswordAuthenticator" not in values["hub"]["config"], "no password in files"
    single = values["singleuser"]
    assert single["extraEnv"]["RAYON_NUM_THREADS"] == "1"
    assert single["memory"]["guarantee"] == "512M" and values["cull"]["timeout"] == 600
    assert single["memory"]["limit"] == limits.DEFAULT_MEMORY
    dockerfile = (REPO / "deploy/kubernetes/Dockerfile").read_text()
    # The kernel and its shared build are made by the project's own set-up, outside /home.
    assert "LEARNING_RULES_WITH_HUB=1 PIP_NO_CACHE_DIR=1 scripts/setup.sh" in dockerfile
    assert "LEARNING_RULES_KERNEL_ROOT=/opt/learning-rules/kernel" in dockerfile
    assert "lecture-24" in single["lifecycleHooks"]["postStart"]["exec"]["command"][-1]
