"""Ports for the students' servers, handed out so that two servers never get the same one.

JupyterHub's local spawner picks a server's port by binding port 0 and closing the socket
(`jupyterhub.utils.random_port`, jupyterhub/jupyterhub#3005); the server binds that port seconds
later. In between, the system may give the same port to the next server or to a kernel, since a
kernel's ports are chosen the same way. When twenty students log in at once, servers take 3 to
16 s to bind, and the draws meet: on 2026-12-05 one server of twenty found its port taken and
exited, while the hub, seeing another student's server answer on that port, called it started.
This machine's port 0 gave the same port twice in 27 of 2,000 rounds of 20 draws.

So the hub hands out ports itself, from a range that the system never gives for port 0 (outside
`net.ipv4.ip_local_port_range`), and never hands one out again while its server may still be
starting.
"""
import pathlib
import random
import socket
import time

EPHEMERAL_RANGE = "/proc/sys/net/ipv4/ip_local_port_range"
DEFAULT_RANGE = "20000-29999"  # below Linux's default ephemeral range, 32768-60999


def parse_range(text):
    """'20000-29999' -> (20000, 29999); ValueError that says what is expected."""
    try:
        first, last = (int(part) for part in text.split("-"))
    except ValueError:
        raise ValueError(f"ports {text!r}: expected FIRST-LAST, for example 20000-29999") from None
    if not 1024 <= first <= last <= 65535:
        raise ValueError(f"ports {text!r}: expected 1024 <= FIRST <= LAST <= 65535")
    return first, last


def check_outside_ephemeral(first, last, ephemeral_text):
    """ValueError if [first, last] meets the system's port-0 range (the text of EPHEMERAL_RANGE)."""
    low, high = (int(part) for part in ephemeral_text.split())
    if first <= high and low <= last:
        raise ValueError(
            f"the students' server ports {first}-{last} overlap this system's ephemeral ports "
            f"{low}-{high} ({EPHEMERAL_RANGE}), from which a kernel's port may take a starting "
            "server's: set LEARNING_RULES_CLASS_SERVER_PORTS to a range outside it")


def checked_range(text):
    """(first, last) of `text`, checked: well formed, and outside this system's port-0 range
    where the system says what that is (ValueError otherwise)."""
    first, last = parse_range(text)
    ephemeral = pathlib.Path(EPHEMERAL_RANGE)
    if ephemeral.exists():
        check_outside_ephemeral(first, last, ephemeral.read_text())
    return first, last


def is_free(port, ip="127.0.0.1"):
    with socket.socket() as s:
        try:
            s.bind((ip, port))
        except OSError:
            return False
    return True


class PortBook:
    """Hands out ports in [first, last] that are free, none twice within `hold_seconds`: the time
    a server may take to bind its port (after that it holds the port itself, or has failed)."""

    def __init__(self, first, last, hold_seconds, ip="127.0.0.1"):
        self.first, self.last, self.hold_seconds, self.ip = first, last, hold_seconds, ip
        self.handed = {}  # port -> when it was handed out (time.monotonic)

    def take(self):
        now = time.monotonic()
        self.handed = {p: t for p, t in self.handed.items() if now - t < self.hold_seconds}
        ports = [p for p in range(self.first, self.last + 1) if p not in self.handed]
        random.shuffle(ports)
        for port in ports:
            if is_free(port, self.ip):
                self.handed[port] = now
                return port
        raise RuntimeError(
            f"no free port left for a student's server in {self.first}-{self.last} "
            f"({len(self.handed)} handed out in the last {self.hold_seconds} s): set "
            "LEARNING_RULES_CLASS_SERVER_PORTS to a wider range")
