"""Crash the library with kill -9 at random moments and check nothing is torn or lost.

A worker process saves self-describing texts to a few documents in a loop,
now and then imports a multi-chapter Markdown file (one transaction), makes a
verified backup, or exports a project, and says on stdout when each action
begins and when it was acknowledged (the call returned). The parent kills it
with SIGKILL: every other round at a random moment, the rest a random moment
into a backup, an export, an import or a save (so each kind of action is
surely killed part way). After each kill it checks

- the database: ``integrity_check``, the FTS index's own check, every
  document holds exactly one complete version whose stored counts match its
  text, every imported project has all of its chapters or does not exist;
- no acknowledged save is lost (each document holds at least the version the
  worker last acknowledged) and every acknowledged import is there;
- every backup in place passes ``integrity_check`` and the newest the same
  checks as the database; the backups folder holds no ``-wal``/``-shm`` and at
  most the one ``.partial`` the last kill left (the next backup removes it);
- every export in place is whole (each chapter's complete text). Usage::

    python scripts/kill_test.py --kills 200 [--dir DIR] [--seed N]

Exit status 0 when every round was clean.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCS = 4
IMPORT_CHAPTERS = 12
BACKUP_KEEP = 4
ACTIONS = (("save", 0.55), ("import", 0.10), ("backup", 0.15), ("export", 0.20))
TARGETED = (None, "backup", None, "export", None, "import", None, "save")  # None: a random moment
_HEADER = re.compile(r"\Adoc (\d+) version (\d+)\n")
_EXPORTED_HEADER = re.compile(r"(?m)^doc (\d+) version (\d+)$")


def make_text(doc: int, version: int) -> str:
    """A text that says which version it is, so a torn mix is detectable."""
    rng = random.Random(doc * 1_000_003 + version)
    words = ["alpha", "宝玉", "naïve", "😀", "Bennet", "黛玉", "line\n", "word"]
    body = " ".join(rng.choice(words) for _ in range(rng.randrange(0, 6000))).rstrip()
    return f"doc {doc} version {version}\n{body}"


def imported_text(doc: int, version: int) -> str:
    """The text as the import of :func:`import_file` stores it (its paragraphs, blank lines between)."""
    sys.path.insert(0, str(REPO))
    from writer_app.storage.markdown_io import markdown_body, markdown_to_stored

    return markdown_to_stored(markdown_body(make_text(doc, version)).split("\n"))


def import_file(folder: Path) -> Path:
    """A Markdown file as the export writes one (a body is one paragraph per line, then a blank line)."""
    sys.path.insert(0, str(REPO))
    from writer_app.storage.markdown_io import markdown_body

    path = folder / "import.md"
    if not path.exists():
        chapters = [f"# Chapter {i}\n\n" + markdown_body(make_text(100 + i, 1)) for i in range(IMPORT_CHAPTERS)]
        path.write_text("\n\n".join(chapters) + "\n", encoding="utf-8")
    return path


def _say(line: str) -> None:
    print(line, flush=True)


def worker(db: Path) -> None:
    sys.path.insert(0, str(REPO))
    from writer_app.storage import Library
    from writer_app.storage import backup as backup_module
    from writer_app.storage.exporter import export_project
    from writer_app.storage.importer import import_path

    # One worker at a time owns the folder (as the profile lock guarantees in the app), so a
    # .partial found by the next backup is always a killed predecessor's: clean it at once.
    backup_module.PARTIAL_GRACE_SECONDS = 0
    backups, exports = db.parent / "backups", db.parent / "exports"
    exports.mkdir(exist_ok=True)
    lib = Library.open(db)
    project = lib.find_project("kill test") or lib.create_project("kill test")
    nodes = [n.id for n in lib.nodes(project.id)]
    while len(nodes) < DOCS:
        nodes.append(lib.create_node(project.id, "chapter", f"doc {len(nodes)}", text=make_text(len(nodes), 0)).id)
    versions = {}
    for index, node_id in enumerate(nodes):
        match = _HEADER.match(lib.get_text(node_id))
        versions[index] = int(match.group(2)) if match else 0
    rng = random.Random(os.getpid())
    names, weights = zip(*ACTIONS, strict=True)
    _say("ready")
    round_no = 0
    while True:
        round_no += 1
        action = rng.choices(names, weights)[0]
        _say(f"begin {action}")
        if action == "import":
            title = f"import {os.getpid()} {round_no}"
            import_path(lib, import_file(db.parent), project_title=title)
            _say(f"imported {title}")
        elif action == "backup":
            _say(f"backed-up {lib.make_backup(backups, keep=BACKUP_KEEP).name}")
        elif action == "export":
            chosen = rng.choice(lib.list_projects()).project
            out = exports / f"export-{os.getpid()}-{round_no}-{chosen.id}.md"
            export_project(lib, chosen.id, "md", out)
            _say(f"exported {out.name}")
            for old in exports.glob("export-*.md"):
                if old != out:
                    old.unlink()
        else:
            index = rng.randrange(DOCS)
            versions[index] += 1
            lib.save_text(nodes[index], make_text(index, versions[index]))
            _say(f"saved {index} {versions[index]}")


def verify(db: Path, acked_saves: dict[int, int] | None = None, acked_imports: set[str] | None = None,
           ) -> list[str]:
    """Problems found in the database (empty when it is sound and holds every acknowledged change)."""
    sys.path.insert(0, str(REPO))
    from writer_app.text.counts import count_characters, count_words

    problems: list[str] = []
    conn = sqlite3.connect(db)
    try:
        check = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if check != ["ok"]:
            return [f"integrity_check: {check[:3]}"]
        try:
            conn.execute("INSERT INTO texts_fts(texts_fts, rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as exc:
            problems.append(f"fts: {exc}")
        rows = conn.execute(
            "SELECT n.id, n.title, n.word_count, n.char_count, t.body, p.title FROM nodes n"
            " JOIN texts t ON t.node_id = n.id JOIN projects p ON p.id = n.project_id"
        ).fetchall()
        per_project: dict[str, int] = {}
        stored: dict[int, int] = {}
        for node_id, title, words, chars, body, project in rows:
            per_project[project] = per_project.get(project, 0) + 1
            match = _HEADER.match(body)
            doc_version = (int(match.group(1)), int(match.group(2))) if match else None
            if not doc_version or body not in (make_text(*doc_version), imported_text(*doc_version)):
                problems.append(f"node {node_id}: torn or unknown text")
            elif (words, chars) != (count_words(body), count_characters(body)):
                problems.append(f"node {node_id}: counts do not match the text")
            elif project == "kill test" and title.startswith("doc "):
                stored[int(title.split()[1])] = int(match.group(2))
        for project, count in per_project.items():
            if project.startswith("import ") and count != IMPORT_CHAPTERS:
                problems.append(f"project {project!r}: half imported ({count} chapters)")
        for index, version in (acked_saves or {}).items():
            if stored.get(index, -1) < version:
                problems.append(f"doc {index}: acknowledged version {version} lost (holds {stored.get(index)})")
        for title in acked_imports or ():
            if per_project.get(title) != IMPORT_CHAPTERS:
                problems.append(f"acknowledged import {title!r} lost")
    finally:
        conn.close()
    return problems


def verify_backups(folder: Path) -> list[str]:
    """Every backup in place is sound (the newest fully checked); no side files; one .partial at most."""
    backups = sorted(folder.glob("library-*.sqlite3"), reverse=True)
    problems = []
    for path in backups:
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            check = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        finally:
            conn.close()
        if check != ["ok"]:
            problems.append(f"backup {path.name}: {check[:2]}")
    if backups:
        problems += [f"newest backup: {p}" for p in verify_copy(backups[0])]
    side = [p.name for p in folder.glob("library-*.sqlite3-*")]
    if side:
        problems.append(f"side files beside backups: {side}")
    partial = [p.name for p in folder.glob(".library-*.partial")]
    if len(partial) > 1:
        problems.append(f"{len(partial)} .partial backups left behind")
    return problems


def verify_copy(path: Path) -> list[str]:
    """:func:`verify` on a throwaway copy (a backup must stay exactly as it was made)."""
    with tempfile.TemporaryDirectory() as temp:
        copy = Path(temp) / "copy.sqlite3"
        source = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        return verify(copy)


def verify_exports(folder: Path) -> list[str]:
    """Every export in place holds each of its chapters whole (as the Markdown export writes a body)."""
    sys.path.insert(0, str(REPO))
    from writer_app.storage.markdown_io import markdown_body

    problems = []
    for path in folder.glob("export-*.md"):
        text = path.read_text(encoding="utf-8")
        found = _EXPORTED_HEADER.findall(text)
        whole = all(markdown_body(make_text(int(doc), int(version))) in text for doc, version in found)
        expected = IMPORT_CHAPTERS if any(int(doc) >= 100 for doc, _ in found) else DOCS
        if not text.startswith("---\ntitle: ") or not text.endswith("\n") or len(found) != expected or not whole:
            problems.append(f"export {path.name}: torn ({len(found)} chapters, whole={whole})")
    return problems


@dataclass
class KillReport:
    kills: int = 0
    damaged: int = 0  # rounds that found the database damaged
    lost: int = 0  # acknowledged saves or imports not in the database
    bad_copies: int = 0  # rounds with a bad backup or export in place
    phases: Counter = field(default_factory=Counter)  # what the worker was doing when killed

    @property
    def clean(self) -> bool:
        return self.damaged == 0 and self.lost == 0 and self.bad_copies == 0

    def summary(self) -> str:
        during = ", ".join(f"{name} {count}" for name, count in sorted(self.phases.items()))
        return (f"{self.kills} kills ({during}): {self.damaged} corrupt databases, {self.lost} lost acknowledged "
                f"saves/imports, {self.bad_copies} rounds with a bad backup or export")


class _Reader(threading.Thread):
    """Collects the worker's lines as they come, so the parent can kill on a given one."""

    def __init__(self, stream) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.lines: list[tuple[float, str]] = []
        self.changed = threading.Condition()

    def run(self) -> None:
        for line in self.stream:
            with self.changed:
                self.lines.append((time.monotonic(), line.strip()))
                self.changed.notify_all()

    def wait_for(self, predicate, timeout: float) -> tuple[float, str] | None:
        deadline = time.monotonic() + timeout
        seen = 0
        with self.changed:
            while True:
                for stamp, line in self.lines[seen:]:
                    if predicate(line):
                        return stamp, line
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or not self.is_alive():
                    return None
                self.changed.wait(left)


def _phase(lines: list[str]) -> str:
    """The action the worker was inside when it died ("between" after an acknowledgement)."""
    for line in reversed(lines):
        if line.startswith("begin "):
            return line.split()[1]
        if line.split()[0] in ("saved", "imported", "backed-up", "exported", "ready"):
            return "between"
    return "start-up"


def run(kills: int, folder: Path, seed: int, verbose: bool = True) -> KillReport:
    rng = random.Random(seed)
    db = folder / "library.sqlite3"
    report = KillReport()
    acked_saves: dict[int, int] = {}
    acked_imports: set[str] = set()
    durations: dict[str, list[float]] = {}
    targeted: set[str] = set()
    for round_no in range(1, kills + 1):
        proc = subprocess.Popen([sys.executable, __file__, "--worker", str(db)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=REPO)
        reader = _Reader(proc.stdout)
        reader.start()
        if reader.wait_for(lambda line: line == "ready", 120) is None:
            proc.kill()
            raise SystemExit(f"worker failed to start: {proc.stderr.read()[-2000:]}")
        target = TARGETED[round_no % len(TARGETED)]
        if target is None:
            time.sleep(rng.uniform(0.0, 0.4))
        elif reader.wait_for(lambda line, t=target: line == f"begin {t}", 30) is not None:
            # The first time at once (surely inside it), then a random moment of its usual length.
            if target in targeted:
                taken = sorted(durations.get(target, [0.05]))
                time.sleep(rng.uniform(0.0, taken[len(taken) // 2] * 1.2))
            targeted.add(target)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        reader.join(10)
        if proc.returncode != -signal.SIGKILL:
            raise SystemExit(f"worker exited by itself ({proc.returncode}): {proc.stderr.read()[-2000:]}")
        proc.stdout.close()
        proc.stderr.close()
        lines = [line for _, line in reader.lines]
        report.kills += 1
        report.phases[_phase(lines)] += 1
        begun: dict[str, float] = {}
        for stamp, line in reader.lines:
            word, *rest = line.split()
            if word == "begin":
                begun[rest[0]] = stamp
            elif word == "saved":
                acked_saves[int(rest[0])] = max(acked_saves.get(int(rest[0]), 0), int(rest[1]))
            elif word == "imported":
                acked_imports.add(" ".join(rest))
            for action, ack in (("save", "saved"), ("import", "imported"), ("backup", "backed-up"),
                                ("export", "exported")):
                if word == ack and action in begun:
                    durations.setdefault(action, []).append(stamp - begun.pop(action))
        problems = verify(db, acked_saves, acked_imports)
        damaged = [p for p in problems if "lost" not in p]
        if damaged:
            report.damaged += 1
        if len(damaged) != len(problems):
            report.lost += 1
        copies = verify_backups(folder / "backups") + verify_exports(folder / "exports")
        if copies:
            report.bad_copies += 1
        if problems or copies:
            print(f"round {round_no} (killed during {_phase(lines)}): {(problems + copies)[:5]}", flush=True)
        elif verbose and round_no % 10 == 0:
            print(f"{round_no} kills, {report.damaged} damaged, {report.lost} lost", flush=True)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--dir", type=Path, help="folder for the database (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return 0
    with tempfile.TemporaryDirectory() as temp:
        folder = args.dir or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.time()
        report = run(args.kills, folder, args.seed)
        print(f"{report.summary()}; {time.time() - started:.0f} s")
    return 0 if report.clean else 1


if __name__ == "__main__":
    sys.exit(main())
