"""Crash the library with kill -9 at random moments and check nothing is torn.

A worker process saves self-describing texts to a few documents in a loop
and now and then imports a multi-chapter Markdown file (one transaction).
The parent kills it with SIGKILL at a random moment, then checks that the
database passes ``integrity_check`` (and the FTS index its own check), that
every document holds exactly one complete version whose stored counts match
its text, and that every imported project has all of its chapters or does
not exist. Usage::

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
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCS = 4
IMPORT_CHAPTERS = 12
_HEADER = re.compile(r"\Adoc (\d+) version (\d+)\n")


def make_text(doc: int, version: int) -> str:
    """A text that says which version it is, so a torn mix is detectable."""
    rng = random.Random(doc * 1_000_003 + version)
    words = ["alpha", "宝玉", "naïve", "😀", "Bennet", "黛玉", "line\n", "word"]
    body = " ".join(rng.choice(words) for _ in range(rng.randrange(0, 6000))).rstrip()
    return f"doc {doc} version {version}\n{body}"


def import_file(folder: Path) -> Path:
    path = folder / "import.md"
    if not path.exists():
        chapters = [f"# Chapter {i}\n\n" + make_text(100 + i, 1) for i in range(IMPORT_CHAPTERS)]
        path.write_text("\n\n".join(chapters) + "\n", encoding="utf-8")
    return path


def worker(db: Path) -> None:
    sys.path.insert(0, str(REPO))
    from writer_app.storage import Library
    from writer_app.storage.importer import import_path

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
    print("ready", flush=True)
    round_no = 0
    while True:
        round_no += 1
        if rng.random() < 0.15:
            import_path(lib, import_file(db.parent), project_title=f"import {os.getpid()} {round_no}")
        else:
            index = rng.randrange(DOCS)
            versions[index] += 1
            lib.save_text(nodes[index], make_text(index, versions[index]))


def verify(db: Path) -> list[str]:
    """Problems found in the database (empty when it is sound)."""
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
        for node_id, _title, words, chars, body, project in rows:
            per_project[project] = per_project.get(project, 0) + 1
            match = _HEADER.match(body)
            if not match or body != make_text(int(match.group(1)), int(match.group(2))):
                problems.append(f"node {node_id}: torn or unknown text")
            elif (words, chars) != (count_words(body), count_characters(body)):
                problems.append(f"node {node_id}: counts do not match the text")
        for project, count in per_project.items():
            if project.startswith("import ") and count != IMPORT_CHAPTERS:
                problems.append(f"project {project!r}: half imported ({count} chapters)")
    finally:
        conn.close()
    return problems


def run(kills: int, folder: Path, seed: int, verbose: bool = True) -> int:
    """Returns the number of rounds that found a damaged database."""
    rng = random.Random(seed)
    db = folder / "library.sqlite3"
    bad = 0
    for round_no in range(1, kills + 1):
        proc = subprocess.Popen([sys.executable, __file__, "--worker", str(db)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=REPO)
        line = proc.stdout.readline().strip()
        if line != "ready":
            proc.kill()
            raise SystemExit(f"worker failed to start: {proc.stderr.read()[-2000:]}")
        time.sleep(rng.uniform(0.0, 0.4))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        if proc.returncode != -signal.SIGKILL:
            raise SystemExit(f"worker exited by itself ({proc.returncode}): {proc.stderr.read()[-2000:]}")
        proc.stdout.close()
        proc.stderr.close()
        problems = verify(db)
        if problems:
            bad += 1
            print(f"round {round_no}: {problems[:5]}", flush=True)
        elif verbose and round_no % 10 == 0:
            print(f"{round_no} kills, {bad} damaged", flush=True)
    return bad


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
        bad = run(args.kills, folder, args.seed)
        print(f"{args.kills} kills in {time.time() - started:.0f} s: {bad} damaged databases")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
