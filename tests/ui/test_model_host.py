"""The model runs in its own process: the editor's process never imports torch, and no host outlives it.

Each test runs the real window with the assistant in a child process
(tests/ui/assistant_child.py), because this test process imports torch itself.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.ui.processes import process_alive

pytestmark = [pytest.mark.model, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def _child(profile: Path, *args: str, cache: Path | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    if cache is not None:
        env["WRITER_APP_MODEL_CACHE"] = str(cache)
    return subprocess.Popen([sys.executable, "-m", "tests.ui.assistant_child", str(profile), *args],
                            stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)


def _until(child: subprocess.Popen[str], wanted) -> dict:
    """Read the child's events until ``wanted(event)``; fails if it exits first."""
    assert child.stdout is not None
    for line in child.stdout:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        assert event.get("event") != "load_failed", event
        if wanted(event):
            return event
    raise AssertionError(f"the child exited ({child.wait()}) before the expected event")


def _wait_gone(pid: int, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not process_alive(pid):
            return True
        time.sleep(0.05)
    return not process_alive(pid)


def _describe(pid: int) -> str:
    """What Linux says about a process that should be gone: state, parent, what it waits in."""
    facts = []
    for name in ("status", "wchan"):
        try:
            text = Path(f"/proc/{pid}/{name}").read_text()
        except OSError as exc:
            text = str(exc)
        if name == "status":
            text = " ".join(line for line in text.splitlines() if line.startswith(("State", "PPid", "Threads")))
        facts.append(f"{name}: {text}")
    return "; ".join(facts)


def _kill_leftover(pid: int | None) -> None:
    if pid is not None and process_alive(pid):
        os.kill(pid, signal.SIGKILL)


def test_the_editor_process_never_imports_torch(tmp_path, embedded_model_dir):
    child = _child(tmp_path / "profile")
    try:
        loaded = _until(child, lambda e: e["event"] == "loaded")
        report = _until(child, lambda e: e["event"] == "report")
        assert child.wait(timeout=60) == 0
    finally:
        child.kill()
    assert loaded["host_pid"] and loaded["host_pid"] != child.pid
    assert report["failed"] is None and report["continued"].strip()  # a real Continue came back
    assert report["ghost"].strip()
    assert "torch " in report["diagnostics"] and "CUDA" in report["diagnostics"]  # gathered elsewhere
    assert report["gpu_label"] != "Checking for a GPU…"
    # Loading, streaming, Help ▸ Diagnostics and the welcome's GPU probe: none of it in this process.
    assert report["heavy_modules"] == []
    assert _wait_gone(loaded["host_pid"])  # and closing the window ended the model process


def test_killing_the_editor_leaves_no_model_process(tmp_path, embedded_model_dir):
    child = _child(tmp_path / "profile", "--hold")
    host_pid = None
    try:
        host_pid = _until(child, lambda e: e["event"] == "loaded")["host_pid"]
        assert process_alive(host_pid)
        child.send_signal(signal.SIGKILL)  # the editor dies without a chance to clean up
        child.wait(timeout=30)
        assert _wait_gone(host_pid), "the model host outlived the editor"
    finally:
        child.kill()
        _kill_leftover(host_pid)


def test_killing_the_editor_while_the_model_converts_leaves_no_process_and_no_half_model(tmp_path):
    from writer_app.llm.embedded import _is_complete, converted_model_dir

    cache = tmp_path / "empty-cache"
    child = _child(tmp_path / "profile", "--hold", cache=cache)
    host_pid = None
    try:
        event = _until(child, lambda e: e["event"] == "progress" and "De-quantising" in e["message"])
        host_pid = event["host_pid"]  # busy in the GGUF conversion: long stretches of Python
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert _wait_gone(host_pid), f"the converting model host outlived the editor: {_describe(host_pid)}"
    finally:
        child.kill()
        _kill_leftover(host_pid)
    target = converted_model_dir(cache)
    assert not target.exists() or _is_complete(target)  # never a folder that looks done and is not
    assert not list(cache.glob(".convert-*"))
