"""What the binder's rolled-up counts cost the GUI thread in a 61-chapter book.

Pride and Prejudice imported into a fresh profile as three volumes (folders)
of chapters, each chapter cut into three scenes: 247 rows. The script opens it
in the real main window and times, on the GUI thread, a full fill of the tree
(``Binder.populate``: what a move, trash or import costs, with the roll-up
sums) and the per-save update (``Binder.set_word_count``: the node and its
ancestors only, what typing costs after each autosave), each the median of
many runs:

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_binder_counts.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from writer_app.storage import Library  # noqa: E402
from writer_app.storage.gutenberg import Section  # noqa: E402
from writer_app.storage.import_edits import text_lines  # noqa: E402
from writer_app.storage.importer import import_plan, plan_import  # noqa: E402


def _scenes(chapter: Section) -> Section:
    lines = text_lines(chapter.text)
    third = max(1, len(lines) // 3)
    parts = [lines[:third], lines[third:2 * third], lines[2 * third:]]
    children = [Section(f"{chapter.title}, scene {n + 1}", "\n".join(part), "scene")
                for n, part in enumerate(parts) if part]
    return Section(chapter.title, "", "chapter", children)


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    from writer_app.ui.app import build_main_window

    with tempfile.TemporaryDirectory() as folder:
        profile = Path(folder) / "profile"
        window = build_main_window(profile, extensions=())
        plan = plan_import(ROOT / "tests" / "fixtures" / "pride-and-prejudice.txt")
        chapters = [_scenes(s) for s in plan.sections if s.kind == "chapter"]
        plan.sections = [Section("Volume I", "", "folder", chapters[:23]),
                         Section("Volume II", "", "folder", chapters[23:42]),
                         Section("Volume III", "", "folder", chapters[42:])]
        library = Library.open(window.paths.database)
        project = import_plan(library, plan)
        library.close()
        window.open_project(project.id)
        deadline = time.monotonic() + 60
        while window.current_project_id != project.id and time.monotonic() < deadline:
            app.processEvents()
        binder = window.binder
        nodes = list(binder.nodes)
        scene = next(n for n in nodes if n.kind == "scene")
        fills = []
        for _ in range(20):
            start = time.perf_counter()
            binder.populate(nodes)
            fills.append(time.perf_counter() - start)
        saves = []
        for words in range(1000):
            start = time.perf_counter()
            binder.set_word_count(scene.id, scene.word_count + words % 7)
            saves.append(time.perf_counter() - start)
        chapters_shown = sum(1 for n in nodes if n.kind == "chapter")
        print(f"{len(nodes)} rows ({chapters_shown} chapters, "
              f"{sum(1 for n in nodes if n.kind == 'scene')} scenes, 3 folders), "
              f"{sum(n.word_count for n in nodes):,} words")
        print(f"full fill with roll-up (move/trash/import): median {statistics.median(fills) * 1000:.1f} ms")
        print(f"after a save (node and ancestors): median {statistics.median(saves) * 1e6:.0f} µs")
        window.close()


if __name__ == "__main__":
    main()
