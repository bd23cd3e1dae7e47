"""The class load test (scripts/class-load-test.sh) at a small N, in both scenarios, so that it
cannot rot: every simulated student logs in, runs 24b, edits it, presses Stop and keeps their
variables. It starts a hub of its own on the class folder (one hub at a time: test_class.py's has
stopped before this module runs).

Needs root (it makes system users). Run through scripts/test.sh.
"""
import json
import os
import subprocess

import pytest

from conftest import REPO

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="makes system users: run as root")


def test_the_load_test_runs_two_students_in_both_scenarios(tmp_path):
    done = subprocess.run(
        [REPO / "scripts" / "class-load-test.sh", "--students", "2", "--arrival-seconds", "3",
         "--think", "0.2", "0.5", "--prefix", "classload", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [row["students"] for row in summary] == [2]
    row = summary[0]
    for result in (row, row["same_moment"]):
        assert result["failures"] == 0 and result["lost_variables"] == 0, result
        assert result["rss_per_student_mb"] > 100, result  # server + kernel + worker were seen
        assert result["epoch_seconds_median"] > 0, result  # read from the summary cell's table
    assert row["first_answer_p50_s"] > 0 and row["light_cell_p95_s"] > 0
    assert row["epoch_seconds_ratio"] == 1.0
