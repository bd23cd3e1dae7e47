"""The ports the class hub hands its students' servers (deploy/class/ports.py): never the same one
twice while a server may still be starting, never one in use, never one from the system's port-0
range; a clear error when none is left or the range is wrong. The load test's hub takes its own
ports the same way."""
import socket
import sys

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "deploy" / "class"))
import ports  # noqa: E402


def free_block(size):
    """`size` consecutive ports below the ephemeral range that nothing listens on."""
    for first in range(21000, 29000, size):
        if all(ports.is_free(p) for p in range(first, first + size)):
            return first, first + size - 1
    pytest.skip("no free block of ports")


def test_a_port_is_not_handed_out_again_while_its_server_may_be_starting():
    first, last = free_block(50)
    book = ports.PortBook(first, last, hold_seconds=600)
    taken = [book.take() for _ in range(50)]
    assert sorted(taken) == list(range(first, last + 1))
    with pytest.raises(RuntimeError, match=rf"no free port left .* in {first}-{last} "
                                           r"\(50 handed out in the last 600 s\).*wider range"):
        book.take()


def test_a_port_comes_back_once_its_hold_is_over():
    first, last = free_block(1)
    book = ports.PortBook(first, last, hold_seconds=0)
    assert [book.take(), book.take()] == [first, first]


def test_a_port_in_use_is_never_handed_out():
    first, last = free_block(2)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", first))
        listener.listen()
        book = ports.PortBook(first, last, hold_seconds=0)
        assert {book.take() for _ in range(20)} == {last}


def test_the_range_is_checked():
    assert ports.parse_range("20000-29999") == (20000, 29999)
    with pytest.raises(ValueError, match="expected FIRST-LAST"):
        ports.parse_range("20000")
    with pytest.raises(ValueError, match="1024 <= FIRST <= LAST <= 65535"):
        ports.parse_range("30000-20000")
    ports.check_outside_ephemeral(20000, 29999, "32768\t60999\n")
    with pytest.raises(ValueError, match="overlap this system's ephemeral ports 32768-60999"):
        ports.check_outside_ephemeral(30000, 40000, "32768\t60999\n")


def test_the_class_range_is_outside_this_machine_s_ephemeral_ports():
    first, last = ports.parse_range(ports.DEFAULT_RANGE)
    ports.check_outside_ephemeral(first, last, open(ports.EPHEMERAL_RANGE).read())


def test_the_load_test_s_hub_takes_three_ports_no_server_or_kernel_can_be_given():
    sys.path.insert(0, str(REPO / "scripts"))
    import class_load_test as load

    taken = load.hub_ports()
    first, last = ports.parse_range(load.HUB_PORTS)
    servers = ports.parse_range(ports.DEFAULT_RANGE)
    assert len(set(taken)) == 3
    assert all(first <= p <= last and ports.is_free(p) for p in taken)
    assert servers[1] < first
    ports.check_outside_ephemeral(first, last, open(ports.EPHEMERAL_RANGE).read())
