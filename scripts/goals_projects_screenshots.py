#!/usr/bin/env python3
"""Screenshots of the goals chart, the project manager and the search panel, taken offscreen.

    python scripts/goals_projects_screenshots.py [--out docs/screenshots]

Builds a fresh profile with two projects, thirty days of words written (stored
as the autosave path stores them) and goals, then saves goals-chart.png,
goals-chart-dark.png, project-manager.png and search-panel.png (widget.grab(),
no display needed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

WRITTEN = [0, 420, 610, 0, 980, 1240, 300, 0, 0, 760, 1510, 890, 1020, 120, 0, 640, 1100, 1330, 870, 0,
           450, 1600, 1200, 0, 300, 940, 1080, 1250, 0, 710]
SCENE = ("The lighthouse stood dark for the first time in forty years. 🐚 Mara counted the gulls on the "
         "rail twice, then climbed to the lamp room.\n\nFrom the gallery she could see the ferry, and beyond "
         "it the lighthouse on Inish Rock, still turning.")


def settle(window, ms: int = 300) -> None:
    for _ in range(100):
        if not window.db.pending:
            break
        QTest.qWait(50)
    QTest.qWait(ms)


def prepare_profile(profile: Path) -> None:
    from writer_app.storage import Library

    today = date.today()
    with Library.open(profile / "library.sqlite3") as lib:
        novel = lib.create_project("The Lighthouse Keeper", author="M. Quill", word_target=80_000)
        one = lib.create_node(novel.id, "chapter", "Chapter 1")
        lib.create_node(novel.id, "scene", "Dark lamp", parent_id=one.id, text=SCENE)
        lib.create_node(novel.id, "scene", "The ferry", parent_id=one.id,
                        text="The ferry came late. Nobody on it had seen the lighthouse go out.")
        with lib.batch():
            for back, words in enumerate(reversed(WRITTEN)):
                lib.connection.execute("INSERT INTO words_by_day VALUES (?, ?, ?)",
                                       (novel.id, (today - timedelta(days=back)).isoformat(), words))
        lib.set_goals(novel.id, daily_words=1000, session_words=500,
                      deadline=(today + timedelta(days=89)).isoformat())
        # (No Chinese title here: the machines that take these have no CJK font, so it would be boxes.)
        essays = lib.create_project("Essays on Light")
        lib.create_node(essays.id, "chapter", "Fresnel", text="A lens in rings, each a slice of a larger one. " * 6)
        old = lib.create_project("Abandoned Draft")
        lib.trash_project(old.id)
        short = lib.create_project("Short Stories")
        lib.create_node(short.id, "chapter", "The Wreck", text="Salt on everything. " * 40)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    from writer_app.paths import profile_paths
    from writer_app.settings import load_settings, save_settings
    from writer_app.ui.app import build_main_window
    from writer_app.ui.goals_dialog import open_goals

    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "profile"
        prepare_profile(profile)
        for theme, name in (("light", "goals-chart.png"), ("dark", "goals-chart-dark.png")):
            paths = profile_paths(profile).ensure()
            settings = load_settings(paths)
            settings.theme = theme
            save_settings(paths, settings)
            window = build_main_window(profile, extensions=())
            window.show()
            settle(window)
            novel = next(s.project.id for s in window.db.run_sync(lambda lib: lib.list_projects())
                         if s.project.title == "The Lighthouse Keeper")
            window.open_project(novel)
            settle(window)
            dialog = open_goals(window)
            settle(window, 500)
            dialog.grab().save(str(args.out / name))
            print("wrote", args.out / name)
            dialog.close()
            if theme == "light":
                extra_shots(window, args.out)
            window.close()
            settle(window, 100)
        del app
    return 0


def extra_shots(window, out: Path) -> None:
    from writer_app.ui.search_panel import open_project_search

    panel = open_project_search(window)
    panel.query_field.setText("lighthouse")
    panel.run_search()
    settle(window, 400)
    panel.open_item(panel.results.item(2))
    settle(window, 400)
    window.resize(1280, 760)
    QTest.qWait(200)
    window.grab().save(str(out / "search-panel.png"))
    print("wrote", out / "search-panel.png")
    project_manager_shot(window, out)


def project_manager_shot(window, out: Path) -> None:
    from writer_app.ui.projects_dialog import open_project_manager

    dialog = open_project_manager(window)
    settle(window, 400)
    dialog.grab().save(str(out / "project-manager.png"))
    print("wrote", out / "project-manager.png")
    dialog.show_trash.setChecked(True)
    settle(window, 300)
    dialog.close()


if __name__ == "__main__":
    raise SystemExit(main())
