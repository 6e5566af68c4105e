"""Two trainer processes under ``accelerate launch`` on the CPU (gloo): the same run as one process.

Data parallel with the same global batch is the same optimisation: one
process taking two micro-batches per step and two processes taking one each
see the same rows and average the same gradients, so the loss curves must
agree (to float rounding in gloo's all-reduce; LoRA dropout is off, since
each process draws its own masks). Only the first process writes: one
``started``, one ``done``, each step reported once. A kill -9 of either
process ends the whole group, and the resume from the last complete
checkpoint continues with the losses of an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.faults import trainer_faults_env
from writer_app.training.checkpoint import checkpoint_dirs
from writer_app.training.job import read_job
from writer_app.training.launch import trainer_command
from writer_app.training.recovery import is_live

pytestmark = [pytest.mark.slow, pytest.mark.model]

# The same global batch of two rows: 1 process x 2 micro-batches, or 2 processes x 1.
STEPS = 6
SAME_RUN = {"max_steps": STEPS, "checkpoint_every": 2, "eval_every": 2, "dropout": 0.0, "batch_size": 1}
LOSS_TOLERANCE = 2e-3


def _run(job_path: Path, **faults) -> tuple[int, list[dict]]:
    """The job's own command line (one process, or the accelerate group it asks for), to its end."""
    proc = subprocess.run(trainer_command(job_path), capture_output=True, text=True,
                          env=trainer_faults_env(**faults) if faults else None)
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert events, proc.stderr[-3000:]
    return proc.returncode, events


def _losses(events: list[dict]) -> dict[int, float]:
    return {e["step"]: e["train_loss"] for e in events if e["event"] == "progress"}


@pytest.fixture(scope="module")
def one_process_losses(tmp_path_factory, embedded_model_dir):
    """The reference: one process, two micro-batches a step (its step losses, unrounded, from the adapter)."""
    from writer_app.paths import profile_paths
    from writer_app.training.runs import prepare_job

    from .conftest import austen_chapters, tiny_config

    paths = profile_paths(tmp_path_factory.mktemp("one") / "profile").ensure()
    job_path = prepare_job(paths, austen_chapters(6), base_model="embedded", base_model_path=embedded_model_dir,
                           config=tiny_config(grad_accum=2, **SAME_RUN), adapter_name="one", device="cpu")
    code, events = _run(job_path)
    assert code == 0, events[-1]
    meta = json.loads((Path(events[-1]["adapter_path"]) / "writer_app_adapter.json").read_text())
    return {h["step"]: h["train_loss"] for h in meta["history"]}, events


def test_two_processes_follow_the_one_process_loss_curve_and_only_the_first_writes(make_job, one_process_losses):
    reference, reference_events = one_process_losses
    job_path = make_job(processes=2, grad_accum=1, **SAME_RUN)
    assert "accelerate.commands.launch" in trainer_command(job_path)
    code, events = _run(job_path)
    assert code == 0, events[-1]
    kinds = [e["event"] for e in events]
    assert kinds.count("started") == 1 and kinds.count("done") == 1 and kinds.count("dataset") == 1
    steps = [e["step"] for e in events if e["event"] == "progress"]
    assert steps == list(range(1, STEPS + 1))  # each step once: the second process prints nothing
    done = events[-1]
    assert done["metrics"]["processes"] == 2 and done["metrics"]["steps"] == STEPS
    meta = json.loads((Path(done["adapter_path"]) / "writer_app_adapter.json").read_text())
    two = {h["step"]: h["train_loss"] for h in meta["history"]}
    assert two.keys() == reference.keys()
    for step in reference:
        assert two[step] == pytest.approx(reference[step], abs=LOSS_TOLERANCE), (step, two, reference)
    # The held-out loss (each process scores half the held-out rows) matches too.
    one_eval = [e["eval_loss"] for e in reference_events if e["event"] == "progress" and e["eval_loss"]]
    two_eval = [e["eval_loss"] for e in events if e["event"] == "progress" and e["eval_loss"]]
    assert two_eval == pytest.approx(one_eval, abs=LOSS_TOLERANCE)
    # The training did something: the loss went down over the run, as with one process.
    assert two[STEPS] < two[1]


def _worker_pids(launcher_pid: int) -> dict[int, int]:
    """rank -> pid of the launcher's worker processes (its children, found in /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid != launcher_pid:
                continue
            environ = dict(item.split("=", 1) for item in (entry / "environ").read_text().split("\0") if "=" in item)
        except (OSError, IndexError, ValueError):
            continue
        if "RANK" in environ:
            found[int(environ["RANK"])] = int(entry.name)
    return found


@pytest.mark.parametrize("victim", [1, 0], ids=["second-process", "first-process"])
def test_kill_9_of_either_process_ends_the_group_and_the_resume_continues_the_same_losses(
        make_job, one_process_losses, victim):
    reference, _ = one_process_losses
    job_path = make_job(processes=2, grad_accum=1, **SAME_RUN)
    job = read_job(job_path)
    launcher = subprocess.Popen(trainer_command(job_path), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True, env=trainer_faults_env(sleep_per_step_s=0.5))
    killed = None
    assert launcher.stdout is not None
    for line in launcher.stdout:
        event = json.loads(line) if line.startswith("{") else {}
        if event.get("event") == "checkpoint" and event["step"] >= 2:
            workers = _worker_pids(launcher.pid)
            assert sorted(workers) == [0, 1], workers
            os.kill(workers[victim], signal.SIGKILL)
            killed = workers
            break
    assert killed is not None, "the run ended before its first checkpoint"
    launcher.stdout.close()
    assert launcher.wait() != 0  # the launcher noticed, stopped the other process and failed
    for pid in killed.values():  # no process of the group is left behind
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not is_live(Path(job.run_dir))
    saved = checkpoint_dirs(Path(job.run_dir))
    assert saved and saved[-1][0] >= 2
    resume_from = saved[-1][0]
    # Resumed alone, the run would take half the rows per step: refused in one sentence.
    alone = subprocess.run(trainer_command(job_path, processes=1), capture_output=True, text=True)
    assert alone.returncode == 1
    refusal = json.loads(alone.stdout.splitlines()[-1])
    assert refusal["event"] == "error" and "--processes 2" in refusal["message"]

    code, events = _run(job_path)
    assert code == 0, events[-1]
    resumed = next(e for e in events if e["event"] == "resumed")
    assert resumed["step"] == resume_from
    after = _losses(events)
    assert sorted(after) == list(range(resume_from + 1, STEPS + 1))
    for step, loss in after.items():
        assert loss == pytest.approx(reference[step], abs=LOSS_TOLERANCE), (step, after, reference)
    assert (Path(events[-1]["adapter_path"]) / "adapter_model.safetensors").is_file()


def test_writer_app_train_with_two_processes_registers_the_adapter(tmp_path, embedded_model_dir):
    from writer_app.paths import profile_paths
    from writer_app.storage import Library

    from .test_cli_training import cli, make_project

    make_project(tmp_path, 6)
    result = cli(tmp_path, "train", "--project", "Austen", "--name", "two-proc", "--processes", "2", "--json",
                 "--max-steps", "2", "--seq-len", "32", "--batch-size", "1", "--grad-accum", "1", "--eval-every", "2",
                 "--eval-sequences", "2", "--style-samples", "0", "--rank", "4")
    assert result.returncode == 0, result.stderr[-2000:]
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["step"] for e in events if e["event"] == "progress"] == [1, 2]
    assert events[-1]["event"] == "registered" and events[-1]["metrics"]["processes"] == 2
    with Library.open(profile_paths(tmp_path).database) as lib:
        assert lib.get_adapter_by_name("two-proc") is not None


def test_a_process_count_out_of_range_is_refused_in_one_line(tmp_path):
    from .test_cli_training import cli

    result = cli(tmp_path, "train", "--project", "Austen", "--processes", "0")
    assert result.returncode == 2
    assert "--processes must be a whole number from 1" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_cancel_stops_both_processes_at_the_same_step_with_a_checkpoint_to_resume(make_job, one_process_losses):
    import threading

    from writer_app.training.runs import run_trainer

    reference, _ = one_process_losses
    job_path = make_job(processes=2, grad_accum=1, **{**SAME_RUN, "checkpoint_every": 100})
    job = read_job(job_path)
    stop = threading.Event()
    seen: list[dict] = []

    def on_event(event: dict) -> None:
        seen.append(event)
        if event["event"] == "progress" and event["step"] == 2:
            stop.set()  # SIGTERM to the launcher's process group: both workers hear it

    code, last = run_trainer(job_path, on_event, stop)
    assert last is not None and last["event"] == "cancelled", (code, seen[-3:])
    stopped_at = last["step"]
    assert 2 <= stopped_at < STEPS
    # The cancel wrote the checkpoint of the step the group stopped at (checkpoint_every alone: none).
    assert [step for step, _ in checkpoint_dirs(Path(job.run_dir))] == [stopped_at]
    assert not is_live(Path(job.run_dir))

    code, events = _run(job_path)
    assert code == 0, events[-1]
    after = _losses(events)
    assert sorted(after) == list(range(stopped_at + 1, STEPS + 1))
    for step, loss in after.items():
        assert loss == pytest.approx(reference[step], abs=LOSS_TOLERANCE), (step, after, reference)


def test_a_nan_loss_in_one_process_stops_both_with_the_trainers_own_error(make_job):
    """The NaN in the second process only: before the group agreed on it, the first went on into the
    gradient all-reduce and died there with gloo's "connection closed by peer"."""
    job_path = make_job(processes=2, grad_accum=1, **SAME_RUN)
    job = read_job(job_path)
    proc = subprocess.run(trainer_command(job_path), capture_output=True, text=True,
                          env=trainer_faults_env(nan_loss_at_step=3, nan_loss_process=1))
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode != 0
    error = events[-1]
    assert error["event"] == "error" and error.get("reason") == "nan", (error, proc.stderr[-3000:])
    assert "process 2 of 2" in error["message"] and "step 3" in error["message"]
    assert "the last good checkpoint (step 2) was kept" in error["message"]
    assert [e["event"] for e in events].count("error") == 1  # the first process reports; the second is quiet
    assert "Connection closed by peer" not in proc.stderr and "gloo" not in error["message"].lower()
    assert max(e["step"] for e in events if e["event"] == "progress") == 2
    assert [step for step, _ in checkpoint_dirs(Path(job.run_dir))] == [2]
    assert not Path(job.output_dir).exists()
    assert not is_live(Path(job.run_dir))
