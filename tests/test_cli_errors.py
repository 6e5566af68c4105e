"""The one-line-error contract, for every subcommand, against a catalogue of bad inputs.

Each row runs ``python -m writer_app SUBCOMMAND ...`` in a real subprocess
with ``--data-dir`` in tmp_path and asserts what the author sees: exit code
2, exactly one non-empty line on stderr, no traceback and no "unexpected
error", the line says what the row is about, and the library is unchanged
(every row of every table, compared through sqlite3's ``iterdump``; the file
bytes where the file is not a healthy database; and no library at all where
there was none). ``test_every_subcommand_has_a_row`` derives the commands
from ``build_parser()``, so a new subcommand cannot be added untested.

Real failures, not mocks: a symbolic link loop, a named pipe, /dev/zero, a
full disk (a 2 MiB tmpfs, filled), a read-only folder (a read-only bind
mount), a pickle whose ``__reduce__`` would create a marker file, a model
whose weights hold NaN. Mounting needs root; those rows skip without it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from writer_app.cli import build_parser
from writer_app.paths import profile_paths

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "pride-and-prejudice.txt"
EMBEDDED_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"



# --------------------------------------------------------------------------- the world a row runs in
@dataclass
class World:
    """tmp_path with a profile (``data``) and helpers that make the bad things rows point at."""

    tmp: Path
    data: Path
    request: pytest.FixtureRequest

    @property
    def db(self) -> Path:
        return profile_paths(self.data).database

    def path(self, name: str) -> str:
        return str(self.tmp / name)

    def loop(self, name: str = "loop") -> str:
        """``name`` -> ``name.other`` -> ``name``: every stat of it fails with ELOOP."""
        a, b = self.tmp / name, self.tmp / f"{name}.other"
        a.symlink_to(b.name)
        b.symlink_to(a.name)
        return str(a)

    def link(self, name: str, target: str) -> str:
        (self.tmp / name).symlink_to(target)
        return str(self.tmp / name)

    def write(self, name: str, data: bytes | str) -> str:
        path = self.tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return str(path)

    def embedded_model(self) -> Path:
        return self.request.getfixturevalue("embedded_model_dir")


@dataclass(frozen=True)
class Row:
    id: str
    command: str  # the subcommand this row exercises (checked against build_parser())
    argv: Callable[[World], list[str]]  # after the subcommand; may create the files it names
    expect: str | None = None  # a regex the one stderr line must match (what the row is about)
    # "austen" (projects Austen and Short), "none", "zero" (0 bytes, a good backup beside it), "damaged"
    library: str = "austen"
    # "tmp"; "full": the profile on a full disk; "full-output": the profile in tmp, a full disk at
    # tmp/disk for what the command writes; "readonly": the profile on a read-only mount.
    place: str = "tmp"
    env: dict[str, str | None] = field(default_factory=dict)  # None removes the variable
    during: Callable[[World], contextlib.AbstractContextManager] | None = None  # held while the command runs
    check: Callable[[World], None] | None = None  # more assertions afterwards
    memory_limit: int | None = None  # RLIMIT_AS for the child, where a bug would read without end
    marks: tuple = ()


def row(id: str, command: str, argv: Callable[[World], list[str]], expect: str | None = None, **kw) -> Row:
    return Row(id, command, argv, expect, **kw)


# --------------------------------------------------------------------------- building blocks for rows
def _austen(chapters: int) -> list[tuple[str, str]]:
    text = FIXTURE.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    parts = re.split(r"\n(Chapter \d+)\n", text)
    return [(parts[i], parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)][:chapters]


def _evil_pickle(marker: Path) -> bytes:
    """A pickle whose loading would create ``marker`` (``open(marker, "w")``): proof that code ran."""
    import pickle

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    return pickle.dumps({"adapter": {}, "payload": Evil()})


def _marker(world: World) -> Path:
    return world.tmp / "code-ran"


def _no_code_ran(world: World) -> None:
    assert not _marker(world).exists(), "loading the file executed code from it"


def _adapter_folder(world: World, name: str, weights: dict[str, bytes]) -> Path:
    import json

    folder = profile_paths(world.data).adapters / name
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text(json.dumps({
        "peft_type": "LORA", "base_model_name_or_path": EMBEDDED_ID, "r": 4, "lora_alpha": 8,
        "target_modules": ["q_proj", "v_proj"], "task_type": "CAUSAL_LM"}))
    for file_name, data in weights.items():
        (folder / file_name).write_bytes(data)
    return folder


def _register_adapter(world: World, name: str, folder: Path | str) -> None:
    from writer_app.storage import Library

    with Library.open(world.db) as lib:
        project = lib.find_project("Austen")
        lib.register_adapter(name, str(folder), "embedded", project.id, {})


def _pickled_adapter(world: World) -> str:
    """A registered adapter whose only weights are a malicious pickle (adapter_model.bin)."""
    _register_adapter(world, "pickled", _adapter_folder(world, "pickled", {
        "adapter_model.bin": _evil_pickle(_marker(world))}))
    return "pickled"


def _safetensors_adapter(world: World) -> str:
    """A registered adapter with (tiny) safetensors weights: what a server is given to load."""
    import numpy as np
    from safetensors.numpy import save_file

    folder = _adapter_folder(world, "voice", {})
    save_file({"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": np.zeros((4, 576), np.float32),
               "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight": np.zeros((576, 4), np.float32)},
              str(folder / "adapter_model.safetensors"))
    _register_adapter(world, "voice", folder)
    return "voice"


def _looping_adapter(world: World) -> str:
    _register_adapter(world, "looping", world.loop("adapter-loop"))
    return "looping"


def _run_with_checkpoint(world: World, data: bytes) -> str:
    """An interrupted training run whose latest checkpoint file holds ``data``; returns its run id."""
    from writer_app.training.config import TrainingConfig
    from writer_app.training.dataset import SourceDocument
    from writer_app.training.runs import prepare_job

    config = TrainingConfig(rank=4, alpha=8, seq_len=32, overlap_tokens=4, batch_size=1, grad_accum=1,
                            max_steps=4, eval_every=2, checkpoint_every=2, style_samples=0)
    documents = [SourceDocument(title, text) for title, text in _austen(4)]
    job = prepare_job(profile_paths(world.data), documents, base_model="embedded",
                      base_model_path=world.embedded_model(), config=config, adapter_name="resumed",
                      project_title="Austen", device="cpu")
    step = job.parent / "checkpoints" / "step-000000002"
    step.mkdir(parents=True)
    (step / "checkpoint.pt").write_bytes(data)
    return job.parent.name


def _model_folder(world: World, weights: dict[str, bytes] | None = None) -> str:
    """A copy of the embedded model's small files, with ``weights`` instead of its safetensors."""
    folder = world.tmp / "model"
    folder.mkdir()
    for item in world.embedded_model().iterdir():
        if item.name != "model.safetensors":
            shutil.copy(item, folder / item.name)
    for name, data in (weights or {}).items():
        (folder / name).write_bytes(data)
    return str(folder)


def _nan_model(world: World) -> str:
    """The embedded model with one weight overwritten by NaN (as a bad conversion or a flipped bit leaves it)."""
    from safetensors.torch import load_file, save_file

    folder = Path(_model_folder(world))
    tensors = load_file(world.embedded_model() / "model.safetensors")
    tensors["model.layers.3.mlp.down_proj.weight"][0, 0] = float("nan")
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    return str(folder)


def _device_node(world: World) -> str:
    """A character device like /dev/null, made in tmp_path (so a bug that replaces it harms nothing)."""
    path = world.tmp / "null-device"
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except OSError as exc:
        pytest.skip(f"cannot make a device node here ({exc.strerror}); needs root")
    return str(path)


def _still_a_device(world: World) -> None:
    assert stat.S_ISCHR((world.tmp / "null-device").lstat().st_mode), "the device node was replaced by a file"


def _still_a_link(world: World) -> None:
    link = world.tmp / "link.md"
    assert link.is_symlink(), "the symbolic link was replaced by a file"
    assert (world.tmp / "target.md").read_text() == "the author's other file\n"


def _existing_unchanged(world: World) -> None:
    assert (world.tmp / "existing.md").read_text() == "the author's other file\n"


@contextlib.contextmanager
def _fifo_writer(world: World) -> Iterator[None]:
    """A named pipe with a writer waiting: a reader gets one line, then EOF (never a hang in the test)."""
    path = world.tmp / "chapter.txt"

    def write() -> None:
        try:
            with open(path, "wb") as pipe:  # blocks until someone opens the pipe for reading
                pipe.write(b"A chapter that came through a pipe.\n")
        except OSError:
            pass  # the reader refused and closed it: that is the point

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        yield
    finally:
        # If nobody opened the pipe, the writer is still waiting in open(): release it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            writer.join()
        finally:
            os.close(fd)


def _fifo(world: World) -> list[str]:
    os.mkfifo(world.tmp / "chapter.txt")
    return [str(world.tmp / "chapter.txt")]


@contextlib.contextmanager
def _write_transaction(world: World) -> Iterator[None]:
    """Another program holding a write transaction on the library for as long as the command runs."""
    connection = sqlite3.connect(world.db, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("CREATE TABLE another_program_was_here (x)")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def _austen_args(world: World) -> list[str]:
    return ["--project", "Austen"]


GEN = ["--task", "continue"]
TINY_TRAIN = ["--project", "Austen", "--max-steps", "1", "--seq-len", "32", "--batch-size", "1",
              "--grad-accum", "1", "--style-samples", "0", "--eval-sequences", "1", "--device", "cpu"]


def _train_with(*extra: str) -> Callable[[World], list[str]]:
    """A tiny run (so that where a bad number slips through, it trains one step, not an hour) plus ``extra``."""
    def argv(world: World) -> list[str]:
        options = list(TINY_TRAIN)
        for i in range(0, len(extra), 2):  # the row's value replaces the tiny run's
            if extra[i] in options:
                del options[options.index(extra[i]):options.index(extra[i]) + 2]
        return [*options, *extra]
    return argv


def _full_disk_target(world: World) -> str:
    return str(world.tmp / "disk" / "out.md")


# --------------------------------------------------------------------------- the catalogue
ROWS: list[Row] = [
    # ---- import
    row("import-missing-file", "import", lambda w: [w.path("missing.txt")], r"does not exist"),
    row("import-binary-file", "import", lambda w: [w.write("photo.txt", b"\x89PNG\x00\x00\x01" * 100)],
        r"not a text file"),
    row("import-empty-file", "import", lambda w: [w.write("empty.txt", "")], r"empty"),
    row("import-unsupported-suffix", "import", lambda w: [w.write("novel.pages", "text")], r"\.txt, \.md, \.docx"),
    row("import-docx-that-is-not-a-zip", "import", lambda w: [w.write("novel.docx", "text")],
        r"novel\.docx is not a Word \(\.docx\) file"),
    row("import-without-a-path", "import", lambda w: [], r"required: path"),
    row("import-data-dir-is-a-file", "import",
        lambda w: [w.write("chapter.txt", "Words.\n"), "--data-dir", w.write("not-a-folder", "x")],
        r"is a file, not a folder", library="none"),
    row("import-data-dir-symlink-loop", "import",
        lambda w: [w.write("chapter.txt", "Words.\n"), "--data-dir", w.loop()], r"symbolic link loop",
        library="none"),
    row("import-data-dir-name-too-long", "import",
        lambda w: [w.write("chapter.txt", "Words.\n"), "--data-dir", w.path("p" * 300)], r"name is too long",
        library="none"),
    row("import-onto-a-full-disk", "import", lambda w: [w.write("chapter.txt", "New words.\n")],
        r"disk is full", place="full"),
    row("import-into-a-read-only-folder", "import", lambda w: [w.write("chapter.txt", "New words.\n")],
        r"read-only", place="readonly"),
    row("import-symlink-loop", "import", lambda w: [w.loop("chapter.txt")], r"symbolic link loop",),
    row("import-named-pipe", "import", _fifo, r"not a regular file", during=_fifo_writer,),
    row("import-link-to-dev-zero", "import",
        lambda w: [w.link("zero.txt", "/dev/zero")], r"not a regular file",
        memory_limit=1 << 30),
    row("import-utf8-with-one-bad-byte", "import",
        lambda w: [w.write("bad-byte.txt", "Élise sat by the window. “Not yet,” she said.\n".encode() * 20
                           + b"\xff and went on.\n")], r"--replace-invalid",),
    row("import-into-a-zero-byte-library", "import", lambda w: [w.write("chapter.txt", "Words.\n")],
        library="zero"),
    row("import-into-a-damaged-library", "import", lambda w: [w.write("chapter.txt", "Words.\n")],
        library="damaged"),
    # ---- export
    row("export-without-a-library", "export", lambda w: ["--project", "Austen", "-o", w.path("out.md")],
        r"no library yet", library="none"),
    row("export-unknown-project", "export", lambda w: ["--project", "Nope", "-o", w.path("out.md")],
        r"no project titled"),
    row("export-unknown-project-title-with-a-non-utf8-byte", "export",
        lambda w: ["--project", "Caf\udce9", "-o", w.path("out.md")], r"no project titled “Caf\ufffd”"),
    row("export-unknown-project-on-an-ascii-terminal", "export",
        lambda w: ["--project", "Café “Noir”", "-o", w.path("out.md")], r"no project titled",
        env={"PYTHONIOENCODING": "ascii", "LC_ALL": "C"}),
    row("export-unknown-format", "export", lambda w: ["--project", "Austen", "--format", "pdf", "-o", "x"],
        r"invalid choice: 'pdf'"),
    row("export-onto-a-full-disk", "export", lambda w: ["--project", "Austen", "-o", _full_disk_target(w)],
        r"disk is full|No space left", place="full-output"),
    row("export-over-the-library-file", "export", lambda w: ["--project", "Austen", "-o", str(w.db)],),
    row("export-over-a-symlink", "export",
        lambda w: ["--project", "Austen", "-o", w.write("target.md", "the author's other file\n")
                   and w.link("link.md", "target.md")], check=_still_a_link),
    row("export-to-a-device-node", "export", lambda w: ["--project", "Austen", "-o", _device_node(w)],
        check=_still_a_device),
    row("export-over-an-existing-file-without-force", "export",
        lambda w: ["--project", "Austen", "-o", w.write("existing.md", "the author's other file\n")],
        check=_existing_unchanged),
    row("export-from-a-zero-byte-library", "export", lambda w: ["--project", "Austen", "-o", w.path("o.md")],
        library="zero"),
    row("export-from-a-damaged-library", "export", lambda w: ["--project", "Austen", "-o", w.path("o.md")],
        library="damaged"),
    # ---- projects
    row("projects-data-dir-symlink-loop", "projects", lambda w: ["--data-dir", w.loop()],
        r"symbolic link loop", library="none"),
    row("projects-data-dir-name-too-long", "projects", lambda w: ["--data-dir", w.path("p" * 300)],
        r"name is too long", library="none"),
    row("projects-data-dir-under-a-file", "projects",
        lambda w: ["--data-dir", str(Path(w.write("plain-file", "x")) / "profile")],
        r"part of its path is a file", library="none"),
    row("projects-unknown-option", "projects", lambda w: ["--json-please"], r"unrecognized arguments"),
    row("projects-in-a-zero-byte-library", "projects", lambda w: [], library="zero",),
    # ---- check
    row("check-without-a-library", "check", lambda w: [], r"no library yet", library="none"),
    row("check-data-dir-is-a-file", "check", lambda w: ["--data-dir", w.write("not-a-folder", "x")],
        r"is a file, not a folder", library="none"),
    row("check-unknown-option", "check", lambda w: ["--repair"], r"unrecognized arguments"),
    # ---- generate: the text
    row("generate-without-text", "generate", lambda w: GEN, r"give the text", library="none"),
    row("generate-unknown-task", "generate", lambda w: ["--task", "poem", "--text", "x"], r"invalid choice"),
    row("generate-empty-text", "generate", lambda w: [*GEN, "--text", "  "], r"text is empty", library="none"),
    row("generate-file-missing", "generate", lambda w: [*GEN, "--file", w.path("missing.txt")],
        r"does not exist", library="none"),
    row("generate-file-symlink-loop", "generate", lambda w: [*GEN, "--file", w.loop()], r"symbolic link loop",
        library="none"),
    row("generate-file-is-a-folder", "generate", lambda w: [*GEN, "--file", str(w.tmp)], r"is a folder",
        library="none"),
    row("generate-file-name-too-long", "generate", lambda w: [*GEN, "--file", w.path("c" * 300 + ".txt")],
        r"name is too long", library="none"),
    row("generate-file-link-to-dev-zero", "generate",
        lambda w: [*GEN, "--file", w.link("zero.txt", "/dev/zero")],
        r"not a regular file", library="none", memory_limit=1 << 30),
    row("generate-file-not-utf8", "generate", lambda w: [*GEN, "--file", w.write("latin1.txt", "Café".encode(
        "latin-1"))], r"not UTF-8", library="none"),
    row("generate-unknown-project", "generate", lambda w: [*GEN, "--project", "Nope", "--document", "x"],
        r"no project titled"),
    row("generate-document-without-project", "generate", lambda w: [*GEN, "--document", "Chapter 1"],
        r"--document needs --project"),
    row("generate-data-dir-symlink-loop", "generate", lambda w: [*GEN, "--text", "x", "--data-dir", w.loop()],
        r"symbolic link loop", library="none"),
    # ---- generate: odd numbers (refused before any model loads)
    *[row(f"generate-max-new-tokens-{label}", "generate",
          lambda w, v=value: [*GEN, "--text", "Once", "--max-new-tokens", v], r"max_new_tokens must be between",
          library="none") for label, value in (("0", "0"), ("minus-1", "-1"), ("10e9", "1000000000"))],
    row("generate-max-new-tokens-not-a-number", "generate",
        lambda w: [*GEN, "--text", "Once", "--max-new-tokens", "lots"], r"invalid int value", library="none"),
    *[row(f"generate-temperature-{label}", "generate",
          lambda w, v=value: [*GEN, "--text", "Once", f"--temperature={v}"], r"temperature must be between",
          library="none") for label, value in (("minus-1", "-1"), ("nan", "nan"), ("inf", "inf"), ("1e9", "1e9"))],
    row("generate-seed-beyond-64-bits", "generate", lambda w: [*GEN, "--text", "Once", "--seed", str(2**70)],
        r"seed must be between", library="none"),
    # ---- generate: the model and the adapter (refused before any model loads)
    row("generate-model-symlink-loop", "generate", lambda w: [*GEN, "--text", "Once", "--model", w.loop()],
        r"symbolic link loop", library="none"),
    row("generate-model-is-a-device", "generate", lambda w: [*GEN, "--text", "Once", "--model", "/dev/null"],
        r"is a file, not a folder", library="none"),
    row("generate-model-folder-without-config", "generate",
        lambda w: [*GEN, "--text", "Once", "--model", str(Path(w.write("empty-model/readme", "")).parent)],
        r"config\.json is missing", library="none"),
    row("generate-model-with-only-pickle-weights", "generate",
        lambda w: [*GEN, "--text", "Once", "--model",
                   _model_folder(w, {"pytorch_model.bin": _evil_pickle(_marker(w))})],
        r"pickle weights", library="none", check=_no_code_ran),
    row("generate-adapter-symlink-loop", "generate", lambda w: [*GEN, "--text", "Once", "--adapter", w.loop()],
        r"symbolic link loop"),
    row("generate-adapter-with-only-pickle-weights", "generate",
        lambda w: [*GEN, "--text", "Once", "--adapter", str(_adapter_folder(w, "pickled", {
            "adapter_model.bin": _evil_pickle(_marker(w))}))], r"only pickle weights", check=_no_code_ran),
    row("generate-adapter-folder-that-is-no-adapter", "generate",
        lambda w: [*GEN, "--text", "Once", "--adapter", str(w.tmp)], r"adapter_config\.json is missing"),
    row("generate-unknown-adapter-name", "generate", lambda w: [*GEN, "--text", "Once", "--adapter", "nobody"],
        r"no adapter folder or registered adapter"),
    row("generate-read-only-profile-without-a-model-cache", "generate",
        lambda w: [*GEN, "--text", "Once", "--max-new-tokens", "4"], r"read-only", library="none",
        place="readonly", env={"WRITER_APP_MODEL_CACHE": None}),
    row("generate-model-with-nan-weights", "generate",
        lambda w: [*GEN, "--text", "Once", "--max-new-tokens", "4", "--model", _nan_model(w)],
        r"weights .* are damaged .*NaN", library="none", marks=(pytest.mark.slow, pytest.mark.model)),
    # ---- train
    row("train-without-project", "train", lambda w: [], r"say which project"),
    row("train-unknown-project", "train", lambda w: ["--project", "Nope"], r"no project called"),
    row("train-unknown-project-title-with-a-non-utf8-byte", "train", lambda w: ["--project", "\udcff"],
        r"no project called '\ufffd'"),
    row("train-too-little-text", "train", lambda w: ["--project", "Short"], r"at least 2,000 words"),
    row("train-unknown-document", "train", lambda w: ["--project", "Austen", "--documents", "Chapter 99"],
        r"no document 'Chapter 99'"),
    row("train-unknown-device", "train", lambda w: ["--project", "Austen", "--device", "tpu"],
        r"invalid choice: 'tpu'"),
    *[row(f"train-{option.strip('-')}-{label}", "train", _train_with(option, value), rf"'{setting}' must be")
      for option, value, label, setting in (
          ("--seq-len", "0", "0", "seq_len"), ("--seq-len", "100000", "100000", "seq_len"),
          ("--epochs", "0", "0", "epochs"), ("--epochs", "nan", "nan", "epochs"),
          ("--max-steps", "-1", "minus-1", "max_steps"), ("--batch-size", "0", "0", "batch_size"),
          ("--grad-accum", "0", "0", "grad_accum"), ("--rank", "0", "0", "rank"),
          ("--learning-rate", "nan", "nan", "learning_rate"), ("--learning-rate", "-1", "minus-1", "learning_rate"),
          ("--eval-every", "0", "0", "eval_every"), ("--style-tokens", "0", "0", "style_tokens"))],
    # Without the fix these two train (one tiny step) before failing or succeeding: slow here, fast once fixed.
    row("train-empty-adapter-name", "train", _train_with("--name", ""), r"an adapter needs a name",
        marks=(pytest.mark.slow,)),
    row("train-adapter-name-of-300-characters", "train", _train_with("--name", "x" * 300),
        r"at most 200 characters", marks=(pytest.mark.slow,)),
    row("train-resume-unknown-run", "train", lambda w: ["--resume", "20200101-000000-abcdef"],
        r"no training run"),
    row("train-resume-malicious-checkpoint", "train",
        lambda w: ["--resume", _run_with_checkpoint(w, _evil_pickle(_marker(w)))],
        r"checkpoint .* holds objects other than tensors .* not loaded", check=_no_code_ran),
    row("train-resume-truncated-checkpoint", "train",
        lambda w: ["--resume", _run_with_checkpoint(w, b"PK\x03\x04 cut short")], r"checkpoint .* is damaged"),
    # ---- eval
    row("generate-from-a-damaged-library", "generate",
        lambda w: [*GEN, "--project", "Austen", "--document", "Chapter 1"], r"damaged", library="damaged"),
    row("train-on-a-damaged-library", "train", lambda w: ["--project", "Austen"], r"damaged", library="damaged"),
    row("eval-on-a-damaged-library", "eval", lambda w: ["--project", "Austen"], r"damaged", library="damaged"),
    row("eval-tasks-no-cases", "eval-tasks", lambda w: ["--cases", "0"], r"--cases must be at least 1"),
    row("eval-tasks-unknown-task", "eval-tasks", lambda w: ["--tasks", "dance"], r"unknown task 'dance'"),
    row("eval-without-any-adapter", "eval", lambda w: ["--project", "Austen"], r"no adapter has been trained"),
    row("eval-unknown-adapter", "eval", lambda w: ["--adapter", "nobody"], r"no adapter called 'nobody'"),
    row("eval-adapter-with-only-pickle-weights", "eval",
        lambda w: ["--adapter", _pickled_adapter(w), "--project", "Austen"], r"only pickle weights",
        check=_no_code_ran),
    row("eval-adapter-folder-symlink-loop", "eval",
        lambda w: ["--adapter", _looping_adapter(w), "--project", "Austen"], r"symbolic link loop"),
    row("eval-negative-eval-sequences", "eval", lambda w: ["--eval-sequences", "-1"], r"cannot be negative"),
    row("eval-negative-style-samples", "eval", lambda w: ["--style-samples", "-2"], r"cannot be negative"),
    row("eval-data-dir-symlink-loop", "eval", lambda w: ["--data-dir", w.loop()], r"symbolic link loop",
        library="none"),
    # ---- doctor
    row("doctor-data-dir-symlink-loop", "doctor", lambda w: ["--data-dir", w.loop()], r"symbolic link loop",
        library="none"),
    row("doctor-data-dir-is-a-file", "doctor", lambda w: ["--data-dir", w.write("not-a-folder", "x")],
        r"is a file, not a folder", library="none"),
    row("doctor-unknown-option", "doctor", lambda w: ["--verbose"], r"unrecognized arguments", library="none"),
    # ---- download-model (no network needed: every row fails before or at the first request)
    row("download-model-path-instead-of-id", "download-model", lambda w: ["../../etc"],
        r"not a Hugging Face model id", library="none"),
    row("download-model-words-instead-of-id", "download-model", lambda w: ["my favourite model"],
        r"not a Hugging Face model id", library="none"),
    row("download-model-empty-id", "download-model", lambda w: [""], r"not a Hugging Face model id",
        library="none"),
    row("download-model-id-with-a-non-utf8-byte", "download-model", lambda w: ["owner/mod\udce9l"],
        r"not a Hugging Face model id", library="none"),
    row("download-model-id-ending-in-a-dot", "download-model", lambda w: ["owner/model."],
        r"not a valid Hugging Face model id", library="none"),
    row("download-model-while-offline", "download-model", lambda w: ["owner/model"], r"could not download",
        library="none", env={"HF_HUB_OFFLINE": "1"}),
    row("download-model-without-id", "download-model", lambda w: [], r"required: repo_id", library="none"),
    # ---- adapters (the personal adapter on a server)
    row("adapters-without-action", "adapters", lambda w: [], r"required: ACTION"),
    row("adapters-export-unknown-adapter", "adapters", lambda w: ["export-gguf", "Nope"],
        r"no adapter folder or registered adapter called “Nope”"),
    row("adapters-export-pickle-only", "adapters", lambda w: ["export-gguf", _pickled_adapter(w)],
        r"only pickle weights .* only safetensors adapters are converted to GGUF", check=_no_code_ran),
    row("adapters-export-over-an-existing-file", "adapters",
        lambda w: ["export-gguf", _safetensors_adapter(w), "--out", w.write("taken.gguf", "x")],
        r"taken.gguf already exists; pass --force"),
    row("adapters-publish-without-server", "adapters", lambda w: ["publish", _safetensors_adapter(w)],
        r"say which server: --server URL"),
    row("adapters-publish-server-down", "adapters",
        lambda w: ["publish", _safetensors_adapter(w), "--server", "http://127.0.0.1:9/v1"], r"is not answering"),
    row("adapters-unpublish-not-a-url", "adapters", lambda w: ["unpublish", "voice", "--server", "ftp://x"],
        r"not a server address writer-app can use"),
    # ---- gui (each fails before a window is made)
    row("gui-data-dir-symlink-loop", "gui", lambda w: ["--data-dir", w.loop()], r"symbolic link loop",
        library="none"),
    row("gui-data-dir-is-a-file", "gui", lambda w: ["--data-dir", w.write("not-a-folder", "x")],
        r"is a file, not a folder", library="none"),
]


# --------------------------------------------------------------------------- setting a row's world up
def _build_library(world: World, kind: str) -> None:
    from writer_app.storage import Library

    paths = profile_paths(world.data).ensure()
    if kind == "none":
        return
    with Library.open(paths.database) as lib:
        austen = lib.create_project("Austen")
        for title, text in _austen(4):
            lib.create_node(austen.id, "chapter", title, text=text)
        short = lib.create_project("Short")
        lib.create_node(short.id, "chapter", "Note", text="Only a few words here.")
    if kind == "damaged":
        _damage(paths.database)
    elif kind == "zero":  # the novel existed and was backed up; then the file became 0 bytes
        from writer_app.storage.backup import make_backup

        make_backup(paths.database, paths.backups)
        paths.database.write_bytes(b"")


def _damage(db: Path) -> None:
    """Overwrite one page in the middle of the file: the header still says SQLite, quick_check does not pass."""
    with contextlib.closing(sqlite3.connect(db)) as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
    with open(db, "r+b") as handle:
        handle.seek(page_size * (pages // 2))
        handle.write(b"\x5a" * page_size)
    with contextlib.closing(sqlite3.connect(db)) as connection:
        try:
            result = connection.execute("PRAGMA quick_check").fetchall()
        except sqlite3.DatabaseError:
            result = [("malformed",)]
    assert result != [("ok",)], "the damage did not damage the library"


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.strip() or done.returncode}); needs root")


@pytest.fixture
def mounts() -> Iterator[list[Path]]:
    mounted: list[Path] = []
    yield mounted
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def _fill(folder: Path) -> None:
    """Write until the disk says it is full (unbuffered, so nothing is left to fail on close)."""
    with open(folder / "filler", "wb", buffering=0) as handle:
        for size in (65536, 512):
            with contextlib.suppress(OSError):
                while True:
                    handle.write(b"\0" * size)


def _state(db: Path, as_bytes: bool) -> object:
    """What the library holds: a logical dump of every table (or the bytes), None if there is none."""
    if not os.path.lexists(db):
        return None
    if not as_bytes:
        try:
            with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
                return tuple(connection.iterdump())
        except sqlite3.Error as exc:
            return ("not a readable database", str(exc), db.read_bytes())
    return db.read_bytes()


def _env(row_env: dict[str, str | None]) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["HF_HUB_OFFLINE"] = env["TRANSFORMERS_OFFLINE"] = "1"
    for key, value in row_env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _limit_memory(limit: int | None) -> Callable[[], None] | None:
    if limit is None:
        return None

    def apply() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


# --------------------------------------------------------------------------- the tests
@pytest.mark.parametrize("case", [pytest.param(r, id=r.id, marks=r.marks) for r in ROWS])
def test_bad_input_is_one_line_and_exit_2_and_the_library_is_unchanged(case: Row, tmp_path, request, mounts):
    disk = tmp_path / "disk"
    if case.place in ("full", "full-output"):
        disk.mkdir()
        _mount("-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk))
        mounts.append(disk)
    data = disk / "profile" if case.place == "full" else tmp_path / "profile"
    world = World(tmp_path, data, request)
    _build_library(world, case.library)
    argv = [case.command, *case.argv(world)]
    if "--data-dir" not in argv:
        argv += ["--data-dir", str(data)]
    if case.place in ("full", "full-output"):
        _fill(disk)
    elif case.place == "readonly":
        _mount("--bind", str(data), str(data))
        mounts.append(data)
        _mount("-o", "remount,ro,bind", str(data))
    as_bytes = case.library in ("zero", "damaged") or case.place in ("full", "readonly")
    before = _state(world.db, as_bytes)

    with case.during(world) if case.during else contextlib.nullcontext():
        done = subprocess.run([sys.executable, "-m", "writer_app", *argv], env=_env(case.env), cwd=tmp_path,
                              stdin=subprocess.DEVNULL, capture_output=True,
                              preexec_fn=_limit_memory(case.memory_limit))

    err = done.stderr.decode("utf-8", "replace")
    lines = [line for line in err.splitlines() if line.strip()]
    assert done.returncode == 2, f"exit {done.returncode}; stderr: {err[-3000:]}"
    assert len(lines) == 1, f"{len(lines)} lines on stderr:\n{err[-3000:]}"
    assert "Traceback" not in err and "unexpected error" not in err, err
    if case.expect:
        assert re.search(case.expect, lines[0]), f"the message does not say /{case.expect}/: {lines[0]}"
    assert _state(world.db, as_bytes) == before, "the library changed"
    if case.check:
        case.check(world)


def test_every_subcommand_has_a_row():
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    untested = sorted(set(commands) - {r.command for r in ROWS})
    assert not untested, f"subcommands without a bad-input row: {untested}"
    assert {r.command for r in ROWS} <= set(commands), "a row names a subcommand that does not exist"


def test_row_ids_are_unique():
    ids = [r.id for r in ROWS]
    assert len(ids) == len(set(ids))


# --------------------------------------------------------------------------- not bad input: these must work
def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "writer_app", *args], env=_env({}), cwd=cwd,
                          stdin=subprocess.DEVNULL, capture_output=True)


def test_a_file_name_with_a_non_utf8_byte_imports(tmp_path):
    """``caf\\xe9.txt`` (a Latin-1 name on a UTF-8 system) used to end in "unexpected error: UnicodeEncodeError"."""
    source = tmp_path / "caf\udce9.txt"
    source.write_text("The coffee was cold.\n\nShe drank it anyway.\n", encoding="utf-8")
    done = _run("import", str(source), "--data-dir", str(tmp_path / "p"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    listed = _run("projects", "--data-dir", str(tmp_path / "p"), cwd=tmp_path)
    assert listed.stdout.decode().startswith("caf\ufffd: ")


def test_a_short_gb18030_text_imports_as_chinese_not_mojibake(tmp_path):
    text = "甄士隐梦幻识通灵，贾雨村风尘怀闺秀。\n"  # one line: read as Korean and Latin mojibake before
    source = tmp_path / "chapter.txt"
    source.write_bytes(text.encode("gb18030"))
    done = _run("import", str(source), "--project", "Stone", "--data-dir", str(tmp_path / "p"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    with contextlib.closing(sqlite3.connect(profile_paths(tmp_path / "p").database)) as connection:
        stored = "\n".join(row[0] for row in connection.execute("SELECT body FROM texts"))
    assert "甄士隐梦幻识通灵" in stored


def _library(tmp_path: Path, kind: str) -> World:
    world = World(tmp_path, tmp_path / "profile", None)  # type: ignore[arg-type]
    _build_library(world, kind)
    return world


def test_check_of_a_busy_library_is_never_reported_as_damaged(tmp_path):
    """Another program holds a write transaction: ``check`` works (or says busy); it never says "corrupt"."""
    world = _library(tmp_path, "austen")
    before = _state(world.db, as_bytes=False)
    with _write_transaction(world):
        done = _run("check", "--data-dir", str(world.data), cwd=tmp_path)
    out = (done.stdout + done.stderr).decode("utf-8", "replace")
    assert "Traceback" not in out and "integrity" not in out and "problem" not in out, out
    assert (done.returncode == 0 and ": ok" in out) or (done.returncode == 2 and "busy" in out), out
    assert _state(world.db, as_bytes=False) == before


def test_check_of_an_empty_library_says_so_and_changes_nothing(tmp_path):
    world = _library(tmp_path, "zero")
    done = _run("check", "--data-dir", str(world.data), cwd=tmp_path)
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    assert done.returncode != 0 and len(lines) == 1 and "empty" in lines[0], done
    assert world.db.read_bytes() == b""
