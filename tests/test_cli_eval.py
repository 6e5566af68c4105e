"""``writer-app eval-tasks``: bad arguments are one line before any model loads; the real run is a benchmark
(benchmarks/bench_tasks.py) and a CI subset (tests/llm/test_eval_tasks.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return subprocess.run([sys.executable, "-m", "writer_app", *args], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True)


@pytest.mark.parametrize(("args", "message"), [
    (("--cases", "0"), b"--cases must be at least 1"),
    (("--tasks", "dance"), b"unknown task 'dance' for --tasks"),
])
def test_bad_eval_tasks_arguments_are_one_line_and_exit_2(tmp_path, args, message):
    done = _cli("eval-tasks", "--data-dir", str(tmp_path / "p"), *args)
    assert done.returncode == 2
    assert message in done.stderr and done.stderr.count(b"\n") == 1 and not done.stdout


def test_eval_tasks_is_listed_in_the_help():
    done = _cli("--help")
    assert done.returncode == 0 and b"eval-tasks" in done.stdout
