"""Each student's control groups (deploy/class/limits.py), on a copy of the cgroup file system's
layout in a temporary folder: which files the hub writes for cgroup v1 and v2, and the errors
that say why it cannot. That a real group caps a student's memory is test_class.py's, as root."""
import sys

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "deploy" / "class"))
import limits  # noqa: E402


def test_memory_sizes_are_read_as_powers_of_1024_or_refused():
    assert limits.parse_memory("4G") == 4 * 1024 ** 3
    assert limits.parse_memory("512M") == limits.parse_memory("512MiB") == 512 * 1024 ** 2
    assert limits.parse_memory("none") is None
    for wrong in ["0G", "four", "4X", ""]:
        with pytest.raises(ValueError, match="expected a size such as 4G or 512M, or none"):
            limits.parse_memory(wrong)


def test_cgroup_v2_a_group_per_student_under_one_parent_with_the_memory_cap(tmp_path):
    (tmp_path / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (tmp_path / "cgroup.subtree_control").write_text("cpuset io pids\n")
    (tmp_path / limits.PARENT).mkdir()
    (tmp_path / limits.PARENT / "cgroup.subtree_control").write_text("")
    shares = limits.Shares.find(2 * 1024 ** 3, root=tmp_path)
    # The controller the children need, switched on where it was off.
    assert (tmp_path / "cgroup.subtree_control").read_text() == "+memory"
    assert (tmp_path / limits.PARENT / "cgroup.subtree_control").read_text() == "+memory"
    procs = shares.prepare("ann")
    group = tmp_path / limits.PARENT / "ann"
    assert procs == [group / "cgroup.procs"]
    assert (group / "memory.max").read_text() == str(2 * 1024 ** 3)
    assert "cgroup v2" in shares.describe() and "2 GiB" in shares.describe()
    assert (limits.Shares(tmp_path, 2, None).prepare("ann"), (group / "memory.max").read_text()) \
        == ([group / "cgroup.procs"], "max")


def test_cgroup_v1_a_group_per_student_in_the_memory_hierarchy(tmp_path):
    for controller in ("memory", "cpu"):
        (tmp_path / controller).mkdir()
        (tmp_path / controller / "cgroup.procs").write_text("")
    shares = limits.Shares.find(limits.parse_memory("4G"), root=tmp_path)
    procs = shares.prepare("bob")
    memory = tmp_path / "memory" / limits.PARENT / "bob"
    assert procs == [memory / "cgroup.procs"]
    assert (memory / "memory.limit_in_bytes").read_text() == str(4 * 1024 ** 3)
    # CPU is left as it was (limits.py says why).
    assert not (tmp_path / "cpu" / limits.PARENT).exists()


def test_the_hub_is_told_why_it_cannot_cap(tmp_path):
    with pytest.raises(limits.Unavailable, match="no cgroup file system at"):
        limits.Shares.find(None, root=tmp_path)
    (tmp_path / "cgroup.controllers").write_text("cpu pids\n")
    (tmp_path / "cgroup.subtree_control").write_text("")
    (tmp_path / limits.PARENT).mkdir()
    with pytest.raises(limits.Unavailable, match="the memory controller is not available"):
        limits.Shares.find(None, root=tmp_path)
    (tmp_path / "cgroup.controllers").write_text("cpu memory\n")
    (tmp_path / limits.PARENT).rmdir()
    (tmp_path / limits.PARENT).write_text("a file where the parent group should be")
    with pytest.raises(limits.Unavailable, match="cannot make control groups"):
        limits.Shares.find(None, root=tmp_path)
