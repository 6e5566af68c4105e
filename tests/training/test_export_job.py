"""``train --export-job DIR`` -> the exported command, run for real -> ``adapters import DIR``.

The round trip a novelist makes with a rented GPU, on the CPU and the
embedded model: the folder holds everything the run needs (it is moved before
it runs, so no path of this profile can be used), its README's single-process
command trains it, and the import registers the adapter with its metrics,
after which the runtime attaches it. What comes back from another machine is
checked first: a pickle file, a base model of another shape, a second import.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from writer_app.paths import profile_paths
from writer_app.storage import Library

from .test_cli_training import cli, make_project

pytestmark = [pytest.mark.slow, pytest.mark.model]

EXPORT_ARGS = ["--max-steps", "2", "--seq-len", "32", "--batch-size", "1", "--grad-accum", "1", "--eval-every", "2",
               "--eval-sequences", "2", "--style-samples", "0", "--learning-rate", "1e-3", "--rank", "4"]


@pytest.fixture(scope="module")
def trained_export(tmp_path_factory, embedded_model_dir):
    """An exported job, moved to another folder (as if copied to another machine) and run there to its end."""
    root = tmp_path_factory.mktemp("export")
    make_project(root / "desk", 6)
    exported = root / "job-for-the-gpu"
    result = cli(root / "desk", "train", "--project", "Austen", "--name", "austen-away", "--export-job",
                 str(exported), *EXPORT_ARGS)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "adapters import" in result.stdout
    for name in ("job.json", "sources.json", "dataset.npz", "export.json", "accelerate_fsdp.yaml", "README.txt"):
        assert (exported / name).is_file(), name
    assert not (profile_paths(root / "desk").training_runs).exists() or \
        not any(profile_paths(root / "desk").training_runs.iterdir())  # nothing was trained here
    job = json.loads((exported / "job.json").read_text())
    assert not any(Path(job[key]).is_absolute() for key in ("sources", "dataset", "run_dir", "output_dir"))
    export = json.loads((exported / "export.json").read_text())
    readme = (exported / "README.txt").read_text()
    for command in export["commands"].values():
        assert command in readme
    assert "accelerate launch --multi_gpu" in readme and "--config_file accelerate_fsdp.yaml" in readme

    elsewhere = root / "gpu-machine" / "job"
    elsewhere.parent.mkdir()
    shutil.move(str(exported), str(elsewhere))
    # The exact single-process command from the README, in the folder; `python` is this environment's.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(export["commands"]["single process"], shell=True, cwd=elsewhere, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    events = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert events[-1]["event"] == "done" and events[-1]["metrics"]["steps"] == 2
    assert (elsewhere / "adapter" / "adapter_model.safetensors").is_file()
    return root, elsewhere


def test_the_adapter_trained_elsewhere_is_imported_listed_and_loads(trained_export, tmp_path):
    root, folder = trained_export
    desk = tmp_path / "desk"
    shutil.copytree(root / "desk", desk)
    result = cli(desk, "adapters", "import", str(folder), "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["adapter"] == "austen-away" and report["metrics"]["steps"] == 2
    with Library.open(profile_paths(desk).database) as lib:
        listed = {a.name: a for a in lib.adapters()}
        project = lib.find_project("Austen")
    assert "austen-away" in listed
    adapter = listed["austen-away"]
    assert adapter.project_id == project.id
    assert adapter.metadata["metrics"]["adapter_eval_loss"] < adapter.metadata["metrics"]["base_eval_loss"]
    assert Path(adapter.path).parent == profile_paths(desk).adapters  # copied in, not pointing at the job
    assert (Path(adapter.path) / "adapter_model.safetensors").is_file()

    from writer_app.llm.runtime import ModelRuntime

    runtime = ModelRuntime.load("embedded", Path(os.environ["WRITER_APP_MODEL_CACHE"]), device="cpu")
    assert runtime.attach_adapter(adapter.path)

    again = cli(desk, "adapters", "import", str(folder))
    assert again.returncode == 2 and "already in the library as 'austen-away'" in again.stderr


def _copy(folder: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "job"
    shutil.copytree(folder, copy)
    return copy


def _import_fails(tmp_path: Path, folder: Path) -> str:
    paths = profile_paths(tmp_path / "desk").ensure()
    result = cli(tmp_path / "desk", "adapters", "import", str(folder))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    with Library.open(paths.database) as lib:
        assert lib.adapters() == []  # nothing registered
    assert not paths.adapters.exists() or not any(paths.adapters.iterdir())  # nothing copied
    return result.stderr


def test_an_adapter_with_a_pickle_file_is_refused(trained_export, tmp_path):
    copy = _copy(trained_export[1], tmp_path)
    (copy / "adapter" / "adapter_model.bin").write_bytes(b"not looked at")
    assert "pickle file (adapter_model.bin)" in _import_fails(tmp_path, copy)


def test_an_adapter_for_a_base_model_of_another_shape_is_refused(trained_export, tmp_path):
    copy = _copy(trained_export[1], tmp_path)
    export = json.loads((copy / "export.json").read_text())
    export["base_model_shape"]["hidden_size"] = 4096
    (copy / "export.json").write_text(json.dumps(export))
    assert "differs from the one here (hidden_size)" in _import_fails(tmp_path, copy)


def test_an_unfinished_job_is_refused(trained_export, tmp_path):
    copy = _copy(trained_export[1], tmp_path)
    shutil.rmtree(copy / "adapter")
    assert "has not finished" in _import_fails(tmp_path, copy)
