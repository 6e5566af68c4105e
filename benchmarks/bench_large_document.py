"""Typing and autosave in very large documents, in the real main window.

Three documents, each the only open one in a fresh profile:

* a 50,000-word chapter and a 200,000-word chapter of Pride and Prejudice
  prose in ordinary paragraphs (what a paste or years of typing can make; the
  editor must stay usable in any document it accepts);
* the largest document the importer produces from a 5 MB text that is one
  single paragraph (before the importer split long paragraphs, that was one
  5 MB paragraph; now it is the first part of the split).

For each, the script opens the profile in the main window (``open s``: the
window built and the document shown), waits a second, types ``--keys`` characters in the middle of the
longest paragraph with QTest (autosave off meanwhile), timing the GUI thread
per keystroke (the key event plus the event processing it causes: layout,
highlighting, painting), then runs one autosave and reports the time
``save_now`` spends on the GUI thread and the longest stall of the event loop
(a 1 ms heartbeat) until the save has come back. Run it on a branch before
and after a change to compare:

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_large_document.py [--keys 200] [--only 50k] [--preview]

``--preview`` keeps the Markdown preview pane open (it is hidden by default,
as it is behind the assistant's tab in the full app).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from writer_app.storage import Library  # noqa: E402
from writer_app.storage.importer import import_path  # noqa: E402

CORPUS = REPO / "tests" / "fixtures" / "pride-and-prejudice.txt"
SINGLE_PARAGRAPH_BYTES = 5 * 1024 * 1024
CASES = ("50k", "200k", "paragraph")


def prose_words() -> list[str]:
    return CORPUS.read_text(encoding="utf-8-sig").split()


def chapter(words: list[str], count: int) -> str:
    picked = [words[i % len(words)] for i in range(count)]
    return "\n\n".join(" ".join(picked[i:i + 120]) for i in range(0, count, 120))


def single_paragraph(words: list[str], size: int) -> str:
    out, total, i = [], 0, 0
    while total < size:
        word = words[i % len(words)]
        out.append(word)
        total += len(word) + 1
        i += 1
    return " ".join(out)


def make_profile(folder: Path, case: str, words: list[str]) -> int:
    """A profile holding the case's document; returns that document's node id."""
    folder.mkdir(parents=True)
    with Library.open(folder / "library.sqlite3") as lib:
        if case == "paragraph":
            source = folder / "one-paragraph.txt"
            source.write_text(single_paragraph(words, SINGLE_PARAGRAPH_BYTES), encoding="utf-8")
            project = import_path(lib, source)
            nodes = [n for n in lib.nodes(project.id) if n.kind != "folder"]
            return max(nodes, key=lambda n: len(lib.get_text(n.id))).id
        count = {"50k": 50_000, "200k": 200_000}[case]
        project = lib.create_project(f"{case} words")
        return lib.create_node(project.id, "chapter", "Long", text=chapter(words, count)).id


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def wait_until(app: QApplication, condition, timeout_s: float = 120.0) -> None:
    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the window did not finish its work in time")
        app.processEvents()
        time.sleep(0.001)


def longest_paragraph_middle(text: str) -> int:
    start, best = 0, (0, 0)
    for paragraph in text.split("\n"):
        if len(paragraph) > best[1] - best[0]:
            best = (start, start + len(paragraph))
        start += len(paragraph) + 1
    return (best[0] + best[1]) // 2


def run_case(app: QApplication, case: str, keys: int, words: list[str], preview: bool) -> dict:
    from writer_app.ui.app import build_main_window

    with tempfile.TemporaryDirectory() as temp:
        profile = Path(temp) / "profile"
        node_id = make_profile(profile, case, words)
        started = time.perf_counter()
        window = build_main_window(profile, extensions=())
        if not preview:
            window.preview_dock.close()
        window.show()
        window.open_document(node_id)
        wait_until(app, lambda: window.current_node_id == node_id and window.db.pending == 0)
        open_s = time.perf_counter() - started
        settle = time.perf_counter() + 1.0  # an author does not type in the first second either
        while time.perf_counter() < settle:
            app.processEvents()
            time.sleep(0.005)
        editor = window.editor
        text = editor.toPlainText()
        longest = max((len(p) for p in text.split("\n")), default=0)
        window.autosave.set_interval(10**8)  # no autosave while timing keystrokes
        editor.setFocus()
        cursor = editor.textCursor()
        cursor.setPosition(longest_paragraph_middle(text))
        editor.setTextCursor(cursor)
        app.processEvents()
        per_key = []
        for i in range(keys):
            t0 = time.perf_counter()
            QTest.keyClick(editor, Qt.Key.Key_Space if i % 6 == 5 else Qt.Key.Key_A)
            app.processEvents()
            per_key.append((time.perf_counter() - t0) * 1000)

        clock = QElapsedTimer()
        clock.start()
        gaps: list[float] = []
        last = [clock.nsecsElapsed()]

        def tick() -> None:
            now = clock.nsecsElapsed()
            gaps.append((now - last[0]) / 1e6)
            last[0] = now

        heartbeat = QTimer()
        heartbeat.setInterval(1)
        heartbeat.timeout.connect(tick)
        saves = window.autosave.saves_completed
        heartbeat.start()
        t0 = time.perf_counter()
        window.autosave.save_now()
        save_call_ms = (time.perf_counter() - t0) * 1000
        last[0] = clock.nsecsElapsed()
        wait_until(app, lambda: window.autosave.saves_completed > saves and window.db.pending == 0)
        round_trip_ms = (time.perf_counter() - t0) * 1000
        for _ in range(20):  # let callbacks the save queued (project count, binder) run
            app.processEvents()
            time.sleep(0.001)
        heartbeat.stop()
        window.close()
        window.deleteLater()
        app.processEvents()
        return {
            "case": case, "words": len(text.split()), "chars": len(text), "longest_paragraph": longest,
            "open_s": open_s, "p50": statistics.median(per_key), "p99": percentile(per_key, 0.99),
            "max": max(per_key), "save_call_ms": save_call_ms, "save_stall_ms": max(gaps, default=0.0),
            "save_round_trip_ms": round_trip_ms,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=200, help="keystrokes to time per document")
    parser.add_argument("--only", choices=CASES, action="append", help="run only these cases (repeatable)")
    parser.add_argument("--preview", action="store_true",
                        help="keep the Markdown preview pane open (it re-renders after each pause in typing)")
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)  # one case, in a child process
    args = parser.parse_args()
    if args.case:
        app = QApplication.instance() or QApplication(sys.argv[:1])
        print(json.dumps(run_case(app, args.case, args.keys, prose_words(), args.preview)), flush=True)
        os._exit(0)  # skip PySide's teardown at interpreter exit; everything is closed already
    print(f"{'document':<11} {'words':>8} {'longest ¶':>10} {'open s':>7} {'key p50':>8} {'p99':>7} "
          f"{'max':>7} {'save GUI':>9} {'save stall':>11} {'save total':>11}  (ms unless said)")
    for case in args.only or CASES:
        # Each document in its own process: a fresh QApplication and heap, nothing left from the last.
        argv = [sys.executable, __file__, "--case", case, "--keys", str(args.keys)]
        child = subprocess.run(argv + (["--preview"] if args.preview else []),
                               capture_output=True, text=True, check=False)
        lines = [line for line in child.stdout.splitlines() if line.startswith("{")]
        if child.returncode != 0 or not lines:
            print(f"{case}: failed\n{child.stderr[-2000:]}")
            continue
        r = json.loads(lines[-1])
        print(f"{r['case']:<11} {r['words']:>8,} {r['longest_paragraph']:>10,} {r['open_s']:>7.2f} "
              f"{r['p50']:>8.2f} {r['p99']:>7.2f} {r['max']:>7.2f} {r['save_call_ms']:>9.2f} "
              f"{r['save_stall_ms']:>11.2f} {r['save_round_trip_ms']:>11.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
