"""The notebooks' kernel: its settings, its shared build and its Jupyter spec (run by setup.sh
and setup-gpu.sh; `python scripts/kernel_files.py --help`).

Every kernel builds its cells in a folder of its own (EVCXR_TMPDIR_PARENT: two kernels in one
folder rename each other's output), against one build of burn and the support crate that all of
them only read (EVCXR_SHARED_BUILD): see scripts/patches/evcxr/README.md. This script writes

    <kernel root>/kernel-<key>/config/evcxr.toml   the kernel's settings (EVCXR_CONFIG_DIR)
    <kernel root>/kernel-<key>/build/              the shared build, made by running the kernel
                                                   once on the notebooks' `:dep` line
    <spec>/kernel.json                             the Jupyter spec that names both

where <key> is a checksum of the settings, Cargo.lock, rustc's version and evcxr's patches, so a
machine keeps one shared build per combination and a change makes a new one.
"""
import argparse
import fcntl
import hashlib
import json
import os
import pathlib
import queue
import shutil
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
SUPPORT_CRATE = REPO / "crates" / "learning-rules"
# The notebooks' first line; the shared build is made with it, so that a notebook's kernel writes
# the manifest the shared build was made from (tests/test_notebooks.py checks every notebook).
DEP_LINE = ':dep learning-rules = "0.1"'
# Where each kernel makes the folder for its own cells; jupyter_client fills in ${HOME} from the
# Jupyter server's environment, so every user's kernels build in their own home.
OWN_FOLDERS = "${HOME}/.cache/learning-rules/kernels"
RECORD = pathlib.Path("target") / "evcxr-rustc-invocation.json"


def evcxr_toml(extra_cargo=""):
    """The kernel's evcxr.toml. `extra_cargo`: more TOML for the `[cargo]` table's sub-tables."""
    return f"""\
# The notebooks' kernel settings (made by scripts/kernel_files.py; EVCXR_CONFIG_DIR).
[evcxr]
# Cargo never asks the crate registry: scripts/setup.sh fetched every crate the support crate locks.
offline_mode = true
# The cells' own code is glue around calls into the support crate, built optimised below: compiled
# unoptimised, a light cell answers sooner. A cell that computes heavily itself can ask for `:opt 2`.
opt_level = "0"

# Cargo configuration of every kernel's build folder (scripts/patches/evcxr/0008).
# `learning-rules = "0.1"` in the notebooks is this checkout's support crate, wherever the notebook is.
[cargo.patch.crates-io]
learning-rules = {{ path = {json.dumps(str(SUPPORT_CRATE))} }}

# Every dependency, the support crate among them, built as the command-line binary's release build
# (evcxr's own dev profile, with debug assertions and overflow checks, halved training speed); the
# cells' crate keeps opt_level above.
[cargo.profile.dev.package."*"]
opt-level = 3
debug-assertions = false
overflow-checks = false
incremental = false
{extra_cargo}"""


def series():
    """Checksum of the patches to evcxr and to its zeromq: names the kernel binary's folder and
    enters every key."""
    patches = [p for crate in ("evcxr", "zeromq")
               for p in sorted((REPO / "scripts" / "patches" / crate).glob("*.patch"))]
    return hashlib.sha256(b"".join(p.read_bytes() for p in patches)).hexdigest()[:12]


def key_of(*parts):
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:12]


def kernel_dir(kernel_root, series, config_text, init_text, env):
    rustc = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    lock = (REPO / "Cargo.lock").read_text()
    key = key_of(series, config_text, init_text, json.dumps(env, sort_keys=True), lock, rustc)
    return pathlib.Path(kernel_root) / f"kernel-{key}"


def write_if_changed(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def spec_env(kdir, extra_env):
    return {
        "EVCXR_CONFIG_DIR": str(kdir / "config"),
        "EVCXR_SHARED_BUILD": str(kdir / "build"),
        "EVCXR_TMPDIR_PARENT": OWN_FOLDERS,
        **extra_env,
    }


def write_spec(spec, evcxr, display_name, env):
    kernel = {
        "argv": [str(evcxr), "--control_file", "{connection_file}"],
        "display_name": display_name,
        "language": "rust",
        # Stop (■) reaches the kernel as a message; the patched kernel turns it into SIGINT.
        "interrupt_mode": "message",
        "env": env,
    }
    write_if_changed(pathlib.Path(spec) / "kernel.json", json.dumps(kernel, indent=2) + "\n")


def stale_reason(build):
    """Why the shared build in `build` must be (re)made, or None while it is current: as the
    kernels judge it (evcxr patch 0005), any file or folder of the support crate changed since
    (build output and hidden folders aside)."""
    record = build / RECORD
    if not record.exists():
        return "not built yet"
    built = record.stat().st_mtime
    pending = [SUPPORT_CRATE]
    while pending:
        folder = pending.pop()
        if folder.stat().st_mtime > built:
            return f"{folder.relative_to(REPO)} changed since it was built"
        for path in folder.iterdir():
            if path.name == "target" or path.name.startswith("."):
                continue
            if path.is_dir():
                pending.append(path)
            elif path.stat().st_mtime > built:
                return f"{path.relative_to(REPO)} changed since it was built"
    return None


def sync(a):
    """Copies the files named on stdin (NUL-separated, relative to SOURCE) into DEST, those
    whose content differs only, so that what did not change keeps its time and what did gets
    a new one (a copy that kept an older time would look unchanged to cargo and the kernels).
    Files an earlier sync copied that are no longer named are removed."""
    source, dest = pathlib.Path(a.source), pathlib.Path(a.dest)
    names = [n for n in sys.stdin.read().split("\0") if n and (source / n).is_file()]
    listing = dest / ".synced-files"
    before = set(listing.read_text().splitlines()) if listing.exists() else set()
    changed = 0
    for name in names:
        src, dst = source / name, dest / name
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            shutil.copymode(src, dst)
            changed += 1
    for gone in before - set(names):
        (dest / gone).unlink(missing_ok=True)
    dest.mkdir(parents=True, exist_ok=True)
    listing.write_text("\n".join(sorted(names)) + "\n")
    print(f"   {changed} of {len(names)} files changed, {len(before - set(names))} removed")


def run_cell(kc, code, timeout):
    """Runs `code`; returns its text, or raises with what it printed."""
    msg_id, text, deadline = kc.execute(code), [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=5)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        content = msg["content"]
        if msg["msg_type"] == "stream":
            text.append(content["text"])
        elif msg["msg_type"] == "error":
            raise RuntimeError(f"{code!r} failed: {content['ename']}: {content['evalue']}\n"
                               + "".join(text))
        elif msg["msg_type"] == "status" and content["execution_state"] == "idle":
            return "".join(text)
    raise TimeoutError(f"{code!r} did not finish in {timeout} s")


def build_shared(spec, kdir, timeout=7200):
    """Makes the shared build: the kernel of `spec`, run once with kdir/build as its own folder
    (EVCXR_TMPDIR) on the notebooks' `:dep` line. Every later kernel only reads it."""
    from jupyter_client.manager import start_new_kernel

    build = kdir / "build"
    kernel = json.loads((pathlib.Path(spec) / "kernel.json").read_text())
    env = {k: v for k, v in kernel["env"].items()
           if k not in ("EVCXR_SHARED_BUILD", "EVCXR_TMPDIR_PARENT")}
    env["EVCXR_TMPDIR"] = str(build)
    with tempfile.TemporaryDirectory() as jupyter_path:
        builder = pathlib.Path(jupyter_path) / "kernels" / "rust-shared-build"
        shutil.copytree(spec, builder)
        (builder / "kernel.json").write_text(json.dumps({**kernel, "env": env}))
        os.environ["JUPYTER_PATH"] = jupyter_path
        km, kc = start_new_kernel(kernel_name="rust-shared-build", cwd=jupyter_path,
                                  startup_timeout=timeout)
        try:
            run_cell(kc, f"{DEP_LINE}\nuse learning_rules::prelude::*;", timeout)
        finally:
            kc.stop_channels()
            km.shutdown_kernel()
    if not (build / RECORD).exists():
        sys.exit(f"the shared build in {build} left no record of its compilation")


def install(a):
    extra_cargo = pathlib.Path(a.extra_cargo).read_text() if a.extra_cargo else ""
    init = pathlib.Path(a.init).read_text() if a.init else ""
    extra_env = dict(item.split("=", 1) for item in a.env)
    config_text = evcxr_toml(extra_cargo)
    kdir = kernel_dir(a.kernel_root, series(), config_text, init, extra_env)
    write_if_changed(kdir / "config" / "evcxr.toml", config_text)
    if init:
        write_if_changed(kdir / "config" / "init.evcxr", init)
    write_spec(a.spec, a.evcxr, a.display_name, spec_env(kdir, extra_env))
    if a.no_build:
        return
    kdir.mkdir(parents=True, exist_ok=True)
    with open(kdir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two set-ups at once: the second waits, then finds it made
        reason = stale_reason(kdir / "build")
        if reason:
            print(f"== making the kernels' shared build in {kdir / 'build'} ({reason}; minutes "
                  "the first time, then seconds)", flush=True)
            started = time.monotonic()
            build_shared(a.spec, kdir)
            print(f"   made in {time.monotonic() - started:.0f} s", flush=True)


def shared_build(a):
    kernel = json.loads((pathlib.Path(a.spec) / "kernel.json").read_text())
    print(kernel["env"]["EVCXR_SHARED_BUILD"])


def package_dirs(a):
    """Reads `cargo metadata` JSON on stdin; prints `name folder` for each package asked for."""
    metadata = json.load(sys.stdin)
    found = {p["name"]: pathlib.Path(p["manifest_path"]).parent for p in metadata["packages"]}
    for name in a.names:
        if name not in found:
            sys.exit(f"cargo metadata lists no package {name}")
        print(name, found[name])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(required=True)
    p = sub.add_parser("install", help="settings, spec, and the shared build unless --no-build")
    p.add_argument("--evcxr", required=True, help="the evcxr_jupyter binary")
    p.add_argument("--kernel-root", required=True, help="folder for kernel-<key>/")
    p.add_argument("--spec", required=True, help="the Jupyter kernel spec folder to write")
    p.add_argument("--display-name", required=True)
    p.add_argument("--extra-cargo", help="a file of TOML appended to the [cargo] settings")
    p.add_argument("--init", help="a file of lines the kernel runs when it starts (init.evcxr)")
    p.add_argument("--env", action="append", default=[], help="KEY=VALUE for the kernel")
    p.add_argument("--no-build", action="store_true", help="write the files, build nothing")
    p.set_defaults(run=install)
    p = sub.add_parser("sync", help="copy changed files named on stdin from SOURCE to DEST")
    p.add_argument("source")
    p.add_argument("dest")
    p.set_defaults(run=sync)
    p = sub.add_parser("series", help="print the checksum of evcxr's patches")
    p.set_defaults(run=lambda _: print(series()))
    p = sub.add_parser("shared-build", help="print the shared build folder of a spec")
    p.add_argument("--spec", required=True)
    p.set_defaults(run=shared_build)
    p = sub.add_parser("package-dirs", help="folders of packages, from cargo metadata on stdin")
    p.add_argument("names", nargs="+")
    p.set_defaults(run=package_dirs)
    a = ap.parse_args()
    a.run(a)


if __name__ == "__main__":
    main()
