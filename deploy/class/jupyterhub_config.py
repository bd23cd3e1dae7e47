"""JupyterHub for a class of Lecture 24 on one machine. Every setting of the class is here.

`scripts/class.sh` installs the class into its folder (LEARNING_RULES_CLASS_ROOT, default
/srv/learning-rules) and starts JupyterHub with this file from there:

    <class root>/project/   a copy of this project (read-only for students): the support crate,
                            the data, the original notebooks, .venv/ with JupyterLab, JupyterHub
                            and the `rust` kernel's spec
    <class root>/kernel/    the patched evcxr and the kernels' shared build (read-only)
    <class root>/rust/      the Rust toolchain, <class root>/cargo/ the crate sources (read-only)
    <class root>/node/      configurable-http-proxy
    <class root>/hub/       the hub's database and cookie secret (root only)

Settings read from the environment are marked "env"; the rest are edited here.
"""
import os
import pathlib
import sys

PROJECT = pathlib.Path(__file__).resolve().parents[2]
CLASS_ROOT = PROJECT.parent
sys.path.insert(0, str(PROJECT / "deploy" / "class"))
import limits  # noqa: E402
import ports  # noqa: E402
import students  # noqa: E402
from jupyterhub.spawner import LocalProcessSpawner  # noqa: E402

c = get_config()  # noqa: F821 (JupyterHub provides it)

# ---------------------------------------------------------------------------------------------
# Where students connect. env LEARNING_RULES_CLASS_IP / _PORT. 127.0.0.1 serves this machine
# only; to serve a room, put a TLS-terminating proxy in front, or set the IP and add
# c.JupyterHub.ssl_cert / ssl_key.
c.JupyterHub.ip = os.environ.get("LEARNING_RULES_CLASS_IP", "127.0.0.1")
c.JupyterHub.port = int(os.environ.get("LEARNING_RULES_CLASS_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("LEARNING_RULES_CLASS_HUB_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = (
    f"http://127.0.0.1:{os.environ.get('LEARNING_RULES_CLASS_PROXY_API_PORT', '8001')}")
c.ConfigurableHTTPProxy.command = [str(CLASS_ROOT / "node" / "node_modules" / ".bin"
                                       / "configurable-http-proxy")]
c.JupyterHub.db_url = f"sqlite:///{CLASS_ROOT / 'hub' / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(CLASS_ROOT / "hub" / "jupyterhub_cookie_secret")

# ---------------------------------------------------------------------------------------------
# Who logs in: JupyterHub's shared-password authenticator. The password comes from env
# LEARNING_RULES_CLASS_PASSWORD, or from the file named by env LEARNING_RULES_CLASS_PASSWORD_FILE;
# there is no default, and the hub does not start without one (8 characters at least).
# Know what it means: anyone with the password can log in under any student's name (JupyterHub
# says so); the system users below keep one student's code from reading another's files, not one
# student from typing another's name. For names that are proven, swap in an authenticator that
# checks them (LDAP, OAuth: one line here), and keep the rest.
password = os.environ.get("LEARNING_RULES_CLASS_PASSWORD", "")
if not password and os.environ.get("LEARNING_RULES_CLASS_PASSWORD_FILE"):
    password = pathlib.Path(os.environ["LEARNING_RULES_CLASS_PASSWORD_FILE"]).read_text().strip()
if len(password) < 8:
    sys.exit("no class password: set LEARNING_RULES_CLASS_PASSWORD (8 characters or more), or "
             "LEARNING_RULES_CLASS_PASSWORD_FILE to a file holding it")
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = password
# A student's name becomes a system account name: lower-case letters and digits.
c.Authenticator.username_pattern = r"^[a-z][a-z0-9]{2,30}$"
# Who may log in: everyone with the password, or only the names listed one per line in the file
# named by env LEARNING_RULES_CLASS_ROSTER.
roster = os.environ.get("LEARNING_RULES_CLASS_ROSTER")
if roster:
    c.Authenticator.allowed_users = set(pathlib.Path(roster).read_text().split())
else:
    c.Authenticator.allow_all = True

# ---------------------------------------------------------------------------------------------
# Each student: a system account of their own (made at first login, private home, see
# students.py), their own copy of the four notebooks in ~/lecture-24 (made once; edits never reach
# another student or the originals; `scripts/class.sh fresh-copy NAME` moves it aside and copies
# anew), and a Jupyter server running as them.
NOTEBOOK_FOLDER = "lecture-24"


def prepare_student(spawner):
    account = students.ensure_student(spawner.user.name)
    students.copy_notebooks(account, PROJECT / "notebooks", NOTEBOOK_FOLDER)


c.Spawner.pre_spawn_hook = prepare_student
c.Spawner.cmd = [str(PROJECT / ".venv" / "bin" / "jupyterhub-singleuser")]
c.Spawner.notebook_dir = f"~/{NOTEBOOK_FOLDER}"
c.Spawner.default_url = "/lab"
START_TIMEOUT, HTTP_TIMEOUT = 120, 60
c.Spawner.start_timeout = START_TIMEOUT
c.Spawner.http_timeout = HTTP_TIMEOUT

# Each server's port comes from the hub's book (ports.py says why: JupyterHub's own choice lets two
# servers started at once get the same port). env LEARNING_RULES_CLASS_SERVER_PORTS, a range
# outside the system's ephemeral ports, with a port for every server that may run at once.
try:
    SERVER_PORTS = ports.checked_range(
        os.environ.get("LEARNING_RULES_CLASS_SERVER_PORTS", ports.DEFAULT_RANGE))
except ValueError as error:
    sys.exit(f"LEARNING_RULES_CLASS_SERVER_PORTS: {error}")
PORT_BOOK = ports.PortBook(*SERVER_PORTS, hold_seconds=START_TIMEOUT + HTTP_TIMEOUT)


# Each student's memory (limits.py says why and how): a control group per student, which their
# server joins before it starts. env LEARNING_RULES_CLASS_MEMORY, the most one student's
# server, kernels and compilers may hold together (default 6G, as on Kubernetes; "none": no cap).
try:
    MEMORY = limits.parse_memory(os.environ.get("LEARNING_RULES_CLASS_MEMORY",
                                                limits.DEFAULT_MEMORY))
except ValueError as error:
    sys.exit(f"LEARNING_RULES_CLASS_MEMORY: {error}")
try:
    SHARES = limits.Shares.find(MEMORY)
    print(f"learning-rules class: {SHARES.describe()}", file=sys.stderr)
except limits.Unavailable as reason:
    SHARES = None
    print(f"learning-rules class: WARNING: students' memory is not capped ({reason})",
          file=sys.stderr)


class StudentSpawner(LocalProcessSpawner):
    """JupyterHub's local spawner, with a port from the class's book at every start, and the
    server in the student's control groups from its first instruction."""

    groups = ()  # the student's control groups' cgroup.procs files, set at each start

    async def start(self):
        self.port = PORT_BOOK.take()
        self.groups = SHARES.prepare(self.user.name) if SHARES else []
        return await super().start()

    def make_preexec_fn(self, name):
        become_student = super().make_preexec_fn(name)
        groups = self.groups

        def preexec():
            limits.join(groups)  # as root, before the server's program runs
            become_student()

        return preexec


c.JupyterHub.spawner_class = StudentSpawner

# What a kernel may use. Rust: the class's toolchain and crate sources, read-only, where the
# shared build was compiled (cargo compares their paths). Cores: each kernel trains with this
# many threads (RAYON_NUM_THREADS), so that twenty kernels on a small server share its cores
# instead of each starting a pool of all of them (issue 25 measured 16 threads 1.5x slower than 4
# for one kernel alone). One thread per kernel suits a class larger than the core count; raise it
# for a small class on a big server. Memory: see StudentSpawner above.
THREADS_PER_KERNEL = int(os.environ.get("LEARNING_RULES_CLASS_THREADS", "1"))
c.Spawner.environment = {
    "PATH": f"{CLASS_ROOT / 'rust' / 'bin'}:{PROJECT / '.venv' / 'bin'}:/usr/local/bin:/usr/bin:/bin",
    "CARGO_HOME": str(CLASS_ROOT / "cargo"),
    "RAYON_NUM_THREADS": str(THREADS_PER_KERNEL),
}

# ---------------------------------------------------------------------------------------------
# Idle servers and kernels are stopped, as the Littlest JupyterHub does: a kernel idle for
# IDLE_SECONDS (no cell running, whether or not a browser tab is open) is shut down by its
# server; a server with no activity for IDLE_SECONDS is stopped by jupyterhub-idle-culler,
# checked every minute. A student's files stay; their variables go with the kernel.
IDLE_SECONDS = int(os.environ.get("LEARNING_RULES_CLASS_IDLE_SECONDS", "600"))
c.Spawner.args = [
    f"--MappingKernelManager.cull_idle_timeout={IDLE_SECONDS}",
    "--MappingKernelManager.cull_interval=60",
    "--MappingKernelManager.cull_connected=True",
    "--MappingKernelManager.default_kernel_name=rust",
]
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={IDLE_SECONDS}",
                "--cull-every=60"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]

# ---------------------------------------------------------------------------------------------
# The load test (scripts/class_load_test.py) starts the hub with a token of its own, to stop the
# servers of its simulated students when a run ends. Without that token there is no such service.
if os.environ.get("LEARNING_RULES_CLASS_LOAD_TEST_TOKEN"):
    c.JupyterHub.services.append({
        "name": "load-test",
        "api_token": os.environ["LEARNING_RULES_CLASS_LOAD_TEST_TOKEN"],
    })
    c.JupyterHub.load_roles.append({
        "name": "load-test",
        "scopes": ["list:users", "read:users", "servers"],
        "services": ["load-test"],
    })
