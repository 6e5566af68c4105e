"""How the trainer process is started: one Python process, or a group under ``accelerate launch``.

One process is ``python -m writer_app.training JOB.json``. Several (data
parallel, ``TrainingJob.processes``) go through accelerate's own launcher,
``python -m accelerate.commands.launch --multi_gpu --num_processes N -m
writer_app.training JOB.json``, which runs torch's elastic launcher
(torchrun) in its own process and starts the N workers as its children. The
workers then make an ``Accelerator``; on a CPU (``--device cpu``, or no CUDA)
it joins them with gloo.

Why ``--multi_gpu`` and not ``--cpu --num_processes N``: in accelerate 1.x
``--cpu`` picks the "simple" launcher, which starts exactly one process on one
machine (several only through ``mpirun`` and a host file), so that command
would quietly train alone. ``--multi_gpu`` is the torchrun path; it starts the
N processes whatever the device, and the trainer itself decides CPU or CUDA.

The process count is part of the job (the global batch, and so the data
position in a checkpoint, depends on it), so a resume starts the same group
whoever starts it: the CLI, the Trainer tab or a person on another machine.
No torch here: the UI imports it.
"""

from __future__ import annotations

import json
import shlex
import socket
import sys
from pathlib import Path

MODULE = "writer_app.training"


def job_processes(job_path: Path) -> int:
    """The process count a job file asks for (1 when it says nothing or cannot be read: the trainer
    then reports the problem with the file itself, in one sentence)."""
    try:
        value = json.loads(Path(job_path).read_text(encoding="utf-8")).get("processes", 1)
    except (OSError, ValueError, AttributeError):
        return 1
    return value if isinstance(value, int) and value >= 1 else 1


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, for the group's rendezvous.

    torchrun's default (29500) would make two runs on one machine (two profiles,
    a test and a benchmark) join each other's group or fail to start.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def accelerate_launch_args(processes: int, *, port: int | None = None, machines: int = 1) -> list[str]:
    """``accelerate launch`` options for ``processes`` workers on this machine (see the module text)."""
    args = ["--multi_gpu", "--num_processes", str(processes), "--num_machines", str(machines),
            "--mixed_precision", "no", "--dynamo_backend", "no"]
    if port is not None:
        args += ["--main_process_port", str(port)]
    return args


def trainer_command(job_path: Path, processes: int | None = None) -> list[str]:
    """The command line that runs ``job_path`` (same interpreter as the app).

    ``processes`` defaults to what the job file says.
    """
    count = job_processes(job_path) if processes is None else processes
    if count <= 1:
        return [sys.executable, "-m", MODULE, str(job_path)]
    return [sys.executable, "-m", "accelerate.commands.launch", *accelerate_launch_args(count, port=free_port()),
            "-m", MODULE, str(job_path)]


def starts_a_group(command: list[str]) -> bool:
    """Whether ``command`` (from :func:`trainer_command`) starts a launcher and its workers."""
    return "accelerate.commands.launch" in command


def shell_line(command: list[str]) -> str:
    return " ".join(shlex.quote(part) for part in command)
