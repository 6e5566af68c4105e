"""Preparing runs and finding them again: safe adapter folders, trainer liveness, leftovers.

No model here: the folders and locks are what is tested (a real helper
process holds a run's lock the way a trainer does, and is killed like one).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from writer_app.errors import UserError
from writer_app.paths import profile_paths
from writer_app.training import recovery, runs
from writer_app.training.job import read_job

from .conftest import austen_chapters, tiny_config

HOSTILE_NAMES = [
    "../../evil", "/tmp/x", "a\x00b", ".", "..", "...", "x" * 150, "caf\udcc3\udca9",  # a non-UTF-8 byte
    "\u202eevil.exe", "-rf", "CON", "名前の文体", "  spaced  out  ", ".hidden", "a/b\\c", "~", "$HOME",
]

HOLD_LOCK = ("import sys, time\n"
             "from writer_app.training.recovery import RunLock\n"
             "lock = RunLock(sys.argv[1]).acquire()\n"
             "print('locked', flush=True)\n"
             "time.sleep(600)\n")


@pytest.fixture
def paths(tmp_path):
    return profile_paths(tmp_path / "profile").ensure()


def prepare(paths, name: str) -> Path:
    return runs.prepare_job(paths, austen_chapters(2), base_model="embedded", base_model_path=paths.data / "model",
                            config=tiny_config(), adapter_name=name, project_title="Austen", device="cpu")


def hold_lock(run_dir: Path) -> subprocess.Popen:
    """A separate process that holds the run's lock, as a live trainer does."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(run_dir)], stdout=subprocess.PIPE, text=True,
                            env=env)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_any_display_name_gets_a_safe_folder_inside_the_adapters_folder(paths, name, tmp_path):
    job = read_job(prepare(paths, name))
    folder = Path(job.output_dir)
    assert folder.parent == paths.adapters
    assert folder.resolve().parent == paths.adapters.resolve()
    assert not folder.name.startswith((".", "-")) and len(folder.name) <= 64
    assert "\x00" not in folder.name and "/" not in folder.name and "\\" not in folder.name
    folder.name.encode("utf-8")  # no lone surrogates
    assert job.adapter_name.strip() and "\x00" not in job.adapter_name
    job.adapter_name.encode("utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["profile"]  # nothing was written outside the profile


def test_folder_names_are_unique_even_for_runs_not_finished_yet(paths):
    (paths.adapters / "austen").mkdir()  # an adapter folder already there
    first = Path(read_job(prepare(paths, "Austen")).output_dir)
    second = Path(read_job(prepare(paths, "AUSTEN")).output_dir)  # a pending run owns "austen-2" now
    assert [first.name, second.name] == ["austen-2", "austen-3"]


@pytest.mark.parametrize("name, message", [("", "needs a name"), (" \n\t ", "needs a name"),
                                           ("x" * 5000, "at most 200 characters")])
def test_an_empty_or_huge_name_is_refused_before_anything_is_written(paths, name, message):
    with pytest.raises(UserError, match=message):
        prepare(paths, name)
    assert not paths.training_runs.exists() or not any(paths.training_runs.iterdir())


def test_a_job_carries_no_test_hooks_and_an_older_job_file_with_them_still_reads(paths):
    job_path = prepare(paths, "voice")
    written = json.loads(job_path.read_text(encoding="utf-8"))
    assert "fault_injection" not in written  # a test seam now (training.faults), not the job format
    older = {**written, "fault_injection": {"nan_loss_at_step": 3}}  # what earlier versions wrote
    job_path.write_text(json.dumps(older), encoding="utf-8")
    assert read_job(job_path).to_dict() == written


def test_a_live_trainer_lock_is_seen_and_a_killed_one_is_not(paths):
    run_dir = prepare(paths, "voice").parent
    assert not recovery.is_live(run_dir)
    holder = hold_lock(run_dir)
    try:
        assert recovery.is_live(run_dir)
        with pytest.raises(UserError, match="already going in another process"):
            recovery.RunLock(run_dir).acquire(attempts=2)
        with pytest.raises(UserError, match="already going"):
            runs.run_trainer(run_dir / "job.json", lambda _event: None)
        assert [r.state for r in recovery.scan_runs(paths)] == ["running"]
    finally:
        kill(holder)  # kill -9: no chance to unlock, the kernel drops the lock
    assert not recovery.is_live(run_dir)
    with recovery.RunLock(run_dir):  # flock is per open file: this process's own lock counts too
        assert recovery.is_live(run_dir)
    assert [r.state for r in recovery.scan_runs(paths)] == ["idle"]


def test_staging_left_by_killed_trainers_is_removed_and_a_live_ones_kept(paths):
    live_job = read_job(prepare(paths, "Live voice"))
    dead_job = read_job(prepare(paths, "Dead voice"))
    live_name, dead_name = Path(live_job.output_dir).name, Path(dead_job.output_dir).name
    # What trainer.write_adapter makes (and leaves behind when killed half way).
    live_staging = Path(tempfile.mkdtemp(prefix=f".tmp-{live_name}-", dir=paths.adapters))
    dead_staging = Path(tempfile.mkdtemp(prefix=f".tmp-{dead_name}-", dir=paths.adapters))
    (dead_staging / "adapter_model.safetensors").write_bytes(b"half")
    orphan = Path(tempfile.mkdtemp(prefix=".tmp-long-gone-", dir=paths.adapters))
    checkpoints = Path(dead_job.run_dir) / "checkpoints"  # checkpoint.save_checkpoint's staging, killed mid-write
    checkpoints.mkdir()
    checkpoint_staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=checkpoints))
    unrelated = paths.adapters / "kept-adapter"
    unrelated.mkdir()
    assert recovery.staging_owner(live_staging.name) == live_name
    holder = hold_lock(Path(live_job.run_dir))
    try:
        from writer_app.storage import Library

        with Library.open(paths.database) as lib:
            report = runs.recover_runs(lib, paths)
        assert [r.job.adapter_name for r in report.running] == ["Live voice"]
        assert set(report.cleaned) == {dead_staging, orphan, checkpoint_staging}
        assert live_staging.is_dir() and unrelated.is_dir()
        assert not dead_staging.exists() and not orphan.exists() and not checkpoint_staging.exists()
    finally:
        kill(holder)


def test_registering_a_folder_twice_keeps_one_adapter_and_a_taken_name_gets_a_suffix(paths):
    from writer_app.storage import Library

    job = read_job(prepare(paths, "Voice"))
    folder = Path(job.output_dir)
    folder.mkdir()
    (folder / recovery.ADAPTER_METADATA).write_text(json.dumps({"run_id": job.run_id}), "utf-8")
    with Library.open(paths.database) as lib:
        lib.register_adapter("Voice", paths.adapters / "elsewhere", "embedded", None, {})
        first = runs.register_finished(lib, job, None)
        again = runs.register_finished(lib, job, None)
        assert first.id == again.id and first.name == "Voice-2"
        assert [a.path for a in lib.adapters()].count(str(folder)) == 1
    assert (Path(job.run_dir) / recovery.REGISTERED_MARKER).is_file()
    assert [r.state for r in recovery.scan_runs(paths)] == ["registered"]
