"""The desk's frictions, measured: quit latency, "new scene → first keystroke lands", and a
keystroke in a long chapter with spell checking on and off.

* **quit**: a child process opens the full window (assistant and trainer tab, the
  embedded model loaded), types a word, then File ▸ Quit. Reported: the time until the
  window is gone (the close handler returned) and until the process has exited, each
  from the moment Quit was triggered (wall clock, shared by both processes).
* **new scene**: in the full window, Document ▸ New Scene (its title dialog accepted at
  once), then one key typed into whatever has the focus: the time until that key is in
  the editor of the new scene, and whether it reached the library after a save.
* **keystroke**: a 10,000-word chapter (Pride and Prejudice paragraphs) in the window;
  ``--keys`` characters typed in the middle, spell check on and off interleaved key by
  key; per-key GUI-thread time (key event plus the highlighting and layout it causes).

    WRITER_APP_MODEL_CACHE=.cache/models QT_QPA_PLATFORM=offscreen \\
        python benchmarks/bench_desk.py [--rounds 3] [--keys 200] [--json]
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
# --compare-with runs the quit child against another checkout (e.g. main) for an A/B in one run.
sys.path.insert(0, os.environ.get("BENCH_DESK_REPO") or str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CORPUS = REPO / "tests" / "fixtures" / "pride-and-prejudice.txt"


def _pump(app, condition, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        if condition():
            return True
        time.sleep(0.002)
    return False


def _window(app, profile: str, extensions: bool = True):
    from writer_app.ui.app import EXTENSIONS, build_main_window

    window = build_main_window(profile, extensions=EXTENSIONS if extensions else ())
    window.show()
    if extensions and window.assistant is not None:
        client = window.assistant.client
        _pump(app, lambda: client.model_info is not None or client.load_error, 180)
    _pump(app, lambda: window.current_node_id is not None and window.db.pending == 0, 30)
    return window


def child_quit(profile: str, when: str) -> None:
    """Runs in its own process: open, type, Quit; print the timestamps.

    ``when``: "idle" (model loaded, nothing running), "loading" (right after the window
    shows, the model still loading) or "generating" (during a Continue)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    if when == "loading":
        from writer_app.ui.app import build_main_window

        window = build_main_window(profile)
        window.show()
        _pump(app, lambda: window.current_node_id is not None and window.db.pending == 0, 30)
    else:
        window = _window(app, profile)
    app.aboutToQuit.connect(window.shutdown)
    window.editor.insertPlainText("Mara walked down to the river at dawn. The ferry was late again. She")
    _pump(app, lambda: False, 0.3)
    if when == "generating":
        window.assistant.panel.length.setValue(200)
        window.actions_by_name["actionContinue"].trigger()
        _pump(app, lambda: window.assistant.continuation.ghost.active, 60)
    marks: dict[str, float] = {}

    def quit_now() -> None:
        marks["quit"] = time.time()
        window.actions_by_name["actionQuit"].trigger()
        marks["hidden"] = time.time()

    from PySide6.QtCore import QTimer

    QTimer.singleShot(0, quit_now)
    app.exec()
    marks["exec_returned"] = time.time()
    print(json.dumps(marks), flush=True)


def measure_quit(rounds: int, repo: str | None = None, when: str = "idle") -> dict:
    hidden, exited = [], []
    env = os.environ.copy()
    env["BENCH_DESK_REPO"] = repo or str(REPO)
    env["PYTHONPATH"] = env["BENCH_DESK_REPO"]
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as profile:
            process = subprocess.run([sys.executable, __file__, "--child-quit", profile, "--when", when], capture_output=True,
                                     text=True, timeout=600, env=env)
            done = time.time()
            line = next((x for x in process.stdout.splitlines() if x.startswith("{")), None)
            if line is None:
                raise SystemExit(f"child failed: {process.stderr[-2000:]}")
            marks = json.loads(line)
            hidden.append(marks["hidden"] - marks["quit"])
            exited.append(done - marks["quit"])
    return {"window_gone_s": statistics.median(hidden), "process_exited_s": statistics.median(exited),
            "all_exited_s": [round(x, 3) for x in exited]}


def measure_new_scene(app, window, rounds: int) -> dict:
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QInputDialog

    from writer_app.storage import Library

    times, landed = [], 0
    letter = "x"

    def accept() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QInputDialog):
            dialog.accept()
        else:
            QTimer.singleShot(1, accept)

    for _ in range(rounds):

        window.binder.select_node(window.binder.nodes[0].id)
        window.binder.tree.setFocus()
        before = window.current_node_id
        QTimer.singleShot(0, accept)
        start = time.perf_counter()
        window.actions_by_name["actionNewScene"].trigger()

        def landed_now(before: int | None = before) -> bool:
            # The window's focus widget: what gets the keys once the dialog has gone.
            focus = window.focusWidget()
            if window.current_node_id not in (None, before) and focus is not None:
                QTest.keyClick(focus, letter)
                return window.editor.toPlainText() == letter
            return False

        ok = _pump(app, landed_now, 20)
        times.append(time.perf_counter() - start)
        window.save_now()
        _pump(app, lambda: window.db.pending == 0 and not window.autosave.dirty, 10)
        library = Library.open(window.paths.database)
        try:
            landed += int(ok and library.get_text(window.current_node_id) == letter)
        finally:
            library.close()
        QTest.keyClick(window.editor, Qt.Key.Key_Backspace)
    return {"new_scene_to_key_s": statistics.median(times), "landed_in_library": f"{landed}/{rounds}"}


def measure_keystrokes(app, window, keys: int) -> dict:
    from PySide6.QtCore import QElapsedTimer
    from PySide6.QtGui import QTextCursor
    from PySide6.QtTest import QTest

    words = CORPUS.read_text(encoding="utf-8-sig").split()
    paragraphs, count = [], 0
    while count < 10_000:
        piece = words[count % len(words): count % len(words) + 120]
        paragraphs.append(" ".join(piece))
        count += len(piece)
    window.autosave.set_interval(10**8)
    window.editor.setPlainText("\n\n".join(paragraphs))
    cursor = window.editor.textCursor()
    cursor.setPosition(window.editor.document().characterCount() // 2)
    window.editor.setTextCursor(cursor)
    window.editor.setFocus()
    checker = window.spell.checker
    highlighter = window.editor.highlighter
    timer = QElapsedTimer()
    on, off = [], []
    for index in range(keys):
        enabled = index % 2 == 0
        highlighter.spell = checker if enabled else None  # the typed paragraph is re-highlighted either way
        timer.start()
        QTest.keyClick(window.editor, "qwertyuiop"[index % 10])
        app.processEvents()
        (on if enabled else off).append(timer.nsecsElapsed() / 1e6)
    highlighter.spell = checker
    window.editor.moveCursor(QTextCursor.MoveOperation.Start)
    return {"key_ms_spell_on": statistics.median(on), "key_ms_spell_off": statistics.median(off),
            "p95_ms_spell_on": sorted(on)[int(len(on) * 0.95)], "p95_ms_spell_off": sorted(off)[int(len(off) * 0.95)],
            "ratio_on_off": statistics.median(on) / statistics.median(off)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quit-only", action="store_true")
    parser.add_argument("--child-quit")
    parser.add_argument("--when", choices=("idle", "loading", "generating"), default="idle",
                        help="what the window is doing when File > Quit is chosen")
    parser.add_argument("--compare-with", help="another checkout whose quit is measured too, interleaved")
    args = parser.parse_args()
    if args.child_quit:
        child_quit(args.child_quit, args.when)
        return
    from PySide6.QtWidgets import QApplication

    results: dict = {}
    if args.compare_with:
        ours, theirs = [], []
        for _ in range(args.rounds):  # interleaved, one round each at a time
            ours.append(measure_quit(1, when=args.when))
            theirs.append(measure_quit(1, args.compare_with, args.when))
        results["quit"] = {key: statistics.median(r[key] for r in ours) for key in ("window_gone_s", "process_exited_s")}
        results["quit"]["all_exited_s"] = [r["all_exited_s"][0] for r in ours]
        results["quit_compared"] = {key: statistics.median(r[key] for r in theirs)
                                    for key in ("window_gone_s", "process_exited_s")}
        results["quit_compared"]["all_exited_s"] = [r["all_exited_s"][0] for r in theirs]
    else:
        results["quit"] = measure_quit(args.rounds, when=args.when)
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as profile:
        if args.quit_only:
            print(json.dumps(results, indent=2))
            return
        window = _window(app, profile)
        _pump(app, lambda: window.spell.checker is not None, 30)
        results["new_scene"] = measure_new_scene(app, window, args.rounds)
        results["keystroke_10k_words"] = measure_keystrokes(app, window, args.keys)
        window.close()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    quit_ = results["quit"]
    if "quit_compared" in results:
        other = results["quit_compared"]
        print(f"quit in {args.compare_with}: window gone {other['window_gone_s']:.3f} s, process exited "
              f"{other['process_exited_s']:.3f} s ({other['all_exited_s']})")
    print(f"quit: window gone {quit_['window_gone_s']:.3f} s, process exited {quit_['process_exited_s']:.3f} s "
          f"(median of {args.rounds}: {quit_['all_exited_s']})")
    scene = results["new_scene"]
    print(f"new scene -> first key in the editor: {scene['new_scene_to_key_s']:.3f} s; "
          f"in the library: {scene['landed_in_library']}")
    keys = results["keystroke_10k_words"]
    print(f"keystroke, 10k-word chapter: spell on {keys['key_ms_spell_on']:.2f} ms (p95 {keys['p95_ms_spell_on']:.2f}),"
          f" off {keys['key_ms_spell_off']:.2f} ms (p95 {keys['p95_ms_spell_off']:.2f}), "
          f"ratio {keys['ratio_on_off']:.2f}")


if __name__ == "__main__":
    main()
