"""Measure the GUI event loop's longest stall while autosave works on a 100,000-word project.

A QTimer ticks every 5 ms on the GUI thread and records the gap between ticks;
any gap well beyond 5 ms is time the GUI could not answer the author. Used by
tests/ui/test_responsiveness.py and benchmarks/bench_ui_stall.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
from PySide6.QtTest import QTest

from writer_app.storage import Library

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "fixtures" / "pride-and-prejudice.txt"
TICK_MS = 5


@dataclass
class StallReport:
    project_words: int
    chapter_words: int
    duration_s: float
    ticks: int
    longest_stall_ms: float
    p99_gap_ms: float
    saves: int

    def line(self) -> str:
        return (f"GUI stall while autosaving: longest {self.longest_stall_ms:.1f} ms, p99 gap "
                f"{self.p99_gap_ms:.1f} ms over {self.duration_s:.1f} s ({self.ticks} ticks, {self.saves} saves; "
                f"project {self.project_words:,} words, open chapter {self.chapter_words:,} words)")


def make_big_project(data_dir: Path, total_words: int = 100_000, chapter_words: int = 10_000) -> None:
    """A profile whose only project holds ``total_words`` of real prose in 10,000-word chapters."""
    words = CORPUS.read_text(encoding="utf-8-sig").split()
    data_dir.mkdir(parents=True, exist_ok=True)
    library = Library.open(data_dir / "library.sqlite3")
    try:
        project = library.create_project("Big Novel")
        for index, start in enumerate(range(0, total_words, chapter_words)):
            picked = [words[(start + i) % len(words)] for i in range(chapter_words)]
            text = "\n\n".join(" ".join(picked[i:i + 120]) for i in range(0, chapter_words, 120))
            library.create_node(project.id, "chapter", f"Chapter {index + 1}", text=text)
    finally:
        library.close()


def measure_stalls(window, seconds: float = 6.0) -> StallReport:
    """Type at the end of the open chapter for ``seconds`` while ticking; return the gaps."""
    editor = window.editor
    editor.setFocus()
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    saves_before = window.autosave.saves_completed
    clock = QElapsedTimer()
    clock.start()
    gaps: list[float] = []
    last = [clock.nsecsElapsed()]

    def tick() -> None:
        now = clock.nsecsElapsed()
        gaps.append((now - last[0]) / 1e6)
        last[0] = now

    ticker = QTimer()
    ticker.setInterval(TICK_MS)
    ticker.timeout.connect(tick)
    typist = QTimer()
    typist.setInterval(40)
    sentence = iter(" and so the evening passed in quiet conversation" * 1000)
    typist.timeout.connect(lambda: QTest.keyClicks(editor, next(sentence)))
    ticker.start()
    typist.start()
    started = time.perf_counter()
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    typist.stop()
    # Let the last save land (still ticking), then stop.
    window.save_now()
    deadline = time.perf_counter() + 10
    while window.db.pending and time.perf_counter() < deadline:
        QTest.qWait(20)
    ticker.stop()
    duration = time.perf_counter() - started
    ordered = sorted(gaps)
    p99 = ordered[int(len(ordered) * 0.99)] if ordered else 0.0
    project_words = sum(n.word_count for n in window.binder.nodes)
    return StallReport(project_words, window.current_node.word_count, duration, len(gaps),
                       max(gaps) if gaps else 0.0, p99, window.autosave.saves_completed - saves_before)
