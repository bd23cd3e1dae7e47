"""Each student's memory, capped as Kubernetes caps a pod's: a control group per student, which
their Jupyter server joins before it starts, and with it every kernel and compiler that it starts.

At most LEARNING_RULES_CLASS_MEMORY (default 6G, as the Helm values' limit). A cell that outgrows
it ends a process of that student's (the system's OOM killer, inside their group), and no one
else's. Without a cap, when the machine runs out the OOM killer ends the biggest process on it,
wherever it is: as likely another student's kernel that loaded the type checker for a `let` without
a type as the one that ran out. The default leaves room for that type checker: measured under a 4G
cap after a 24b epoch (the data set, a learner and a run held), a student's processes peaked at
3,923 MiB resident with the type checker loaded, 173 MiB short of the cap, which they hit 11,971
times (the system reclaimed page cache each time); 2 GB more is room for the student's own data.

CPU is left as it was. A group per student in the cpu controller too gave each student the same
share (on 2 cores, one student's two busy processes against another's one for 8 s: 10.8 and 5.4
CPU-seconds without groups, 8.8 and 7.4 with them), but it makes all the students together weigh as
much as one process outside the groups (the hub, or the load test's driver), and the load test at N
= 20 showed nothing for it: login to parameters p50 58.0 s with cpu and memory groups, 58.2 s with
memory groups only (50.7 s with none, in a run between the two, on a host whose speed moved by
up to 2× within the hour). Each kernel trains on one thread instead (RAYON_NUM_THREADS in
jupyterhub_config.py).

cgroup v2 (one hierarchy: memory.max) and v1 (one per controller: memory.limit_in_bytes) are both
handled. Where neither can be written (no root, a container without its own cgroups), `Shares.find`
raises `Unavailable` with the reason, and the hub says so and runs without.
"""
import os
import pathlib
import re

ROOT = pathlib.Path("/sys/fs/cgroup")
PARENT = "learning-rules"  # the students' groups are its children
DEFAULT_MEMORY = "6G"


class Unavailable(RuntimeError):
    """No control groups this process can make."""


def parse_memory(text):
    """'4G' -> 4294967296 bytes (K, M, G, T: powers of 1024; none: bytes); 'none' -> None
    (no cap). ValueError that says what is expected."""
    if text.strip().lower() == "none":
        return None
    match = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)i?B?\s*", text, re.IGNORECASE)
    if not match or int(match[1]) == 0:
        raise ValueError(f"memory {text!r}: expected a size such as 4G or 512M, or none")
    return int(match[1]) * 1024 ** (" KMGT".index(match[2].upper() or " "))


class Shares:
    """Makes each student's groups under `root` (the cgroup file system), with `memory_bytes`
    as their memory cap (None: no cap)."""

    def __init__(self, root, version, memory_bytes):
        self.root, self.version, self.memory_bytes = pathlib.Path(root), version, memory_bytes

    @classmethod
    def find(cls, memory_bytes, root=ROOT):
        """The hierarchy at `root`, checked writable by making the parent group."""
        root = pathlib.Path(root)
        if (root / "cgroup.controllers").exists():
            version, parents = 2, [root / PARENT]
        elif (root / "memory" / "cgroup.procs").exists():
            version, parents = 1, [root / "memory" / PARENT]
        else:
            raise Unavailable(f"no cgroup file system at {root}")
        try:
            for parent in parents:
                parent.mkdir(exist_ok=True)
            if version == 2:
                if "memory" not in (root / "cgroup.controllers").read_text().split():
                    raise Unavailable(f"the memory controller is not available in {root}")
                for group in (root, parents[0]):
                    enable(group, "memory")
        except OSError as error:
            raise Unavailable(f"cannot make control groups in {root}: {error}") from None
        return cls(root, version, memory_bytes)

    def describe(self):
        memory = "no memory cap" if self.memory_bytes is None else \
            f"memory at most {self.memory_bytes / 1024 ** 3:g} GiB"
        return f"each student in a control group of their own (cgroup v{self.version}): {memory}"

    def prepare(self, name):
        """The student's group, made if need be and set to the class's cap; returns the files a
        process writes its pid into to join it (see `join`)."""
        if self.version == 2:
            group = self.root / PARENT / name
            group.mkdir(exist_ok=True)
            limit = "max" if self.memory_bytes is None else str(self.memory_bytes)
            (group / "memory.max").write_text(limit)
            if (group / "memory.swap.max").exists():
                (group / "memory.swap.max").write_text("0")
            return [group / "cgroup.procs"]
        group = self.root / "memory" / PARENT / name
        group.mkdir(exist_ok=True)
        limit = "-1" if self.memory_bytes is None else str(self.memory_bytes)
        (group / "memory.limit_in_bytes").write_text(limit)
        return [group / "cgroup.procs"]


def enable(group, controller):
    """Lets `group`'s children use `controller` (cgroup v2), unless they already may."""
    control = group / "cgroup.subtree_control"
    if controller not in control.read_text().split():
        control.write_text(f"+{controller}")


def join(procs_files):
    """Moves this process into the groups (a Popen preexec_fn step: before the server's program
    starts, so that everything it starts is in them too)."""
    pid = str(os.getpid())
    for procs in procs_files:
        with open(procs, "w") as f:
            f.write(pid)
