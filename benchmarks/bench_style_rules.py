"""How fast Suggest style's first stage (the rule findings) reaches the author.

Two figures, on Pride and Prejudice (61 chapters) and the first ten chapters
of 红楼梦:

- ``check_prose`` alone per chapter (median and worst, the best of 5 runs
  each): the work the background pool does;
- in the real main window (Qt offscreen, with the assistant and the embedded
  model loaded), the time from Assistant ▸ Suggest style to the
  ``rulesShown`` signal on the longest English chapter: the check, the
  hand-back to the GUI thread, the tracked spans and the filled list. The
  model's critique that follows is cancelled at once each round.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_style_rules.py [--rounds 10] [--no-window]

Say the machine's load (``uptime``) next to the figures: on a shared machine
they move with it.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from writer_app.text.prose_checks import check_prose  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"


def english_chapters() -> list[str]:
    text = (FIXTURES / "pride-and-prejudice.txt").read_text(encoding="utf-8-sig")
    return [c.strip() for c in re.split(r"\nChapter \d+\n", text)[1:]]


def chinese_chapters() -> list[str]:
    text = (FIXTURES / "hongloumeng-ch1-10.txt").read_text(encoding="utf-8-sig")
    return [c.strip() for c in re.split(r"\n第[一二三四五六七八九十]+回", text)[1:]]


def best_of(function, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def bench_checks() -> None:
    for label, chapters, language in (("Pride and Prejudice", english_chapters(), "en"),
                                      ("红楼梦 ch. 1-10", chinese_chapters(), "zh")):
        times = [best_of(lambda c=c, lang=language: check_prose(c, lang)) for c in chapters]
        longest = max(chapters, key=len)
        print(f"check_prose, {label}: {len(chapters)} chapters, median {statistics.median(times):.1f} ms, "
              f"worst {max(times):.1f} ms; longest chapter ({len(longest):,} characters) "
              f"{best_of(lambda c=longest, lang=language: check_prose(c, lang)):.1f} ms")


def bench_window(rounds: int) -> None:
    from PySide6.QtWidgets import QApplication

    from writer_app.ui.app import build_main_window

    app = QApplication.instance() or QApplication([])
    os.environ.setdefault("WRITER_APP_MODEL_CACHE", str(ROOT / ".cache" / "models"))
    chapter = max(english_chapters(), key=len)
    with tempfile.TemporaryDirectory() as folder:
        window = build_main_window(Path(folder) / "profile")
        window.show()
        assistant = window.assistant
        deadline = time.monotonic() + 300
        while assistant.client.model_info is None and not assistant.client.load_error and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        window.editor.load_text(chapter)
        action = window.actions_by_name["actionSuggestStyle"]
        shown: list[float] = []
        counts: list[int] = []
        style = assistant.style
        style.rulesShown.connect(lambda n: (shown.append(time.perf_counter()), counts.append(n)))
        times = []
        for _ in range(rounds):
            shown.clear()
            started = time.perf_counter()
            action.trigger()
            while not shown:
                app.processEvents()
            times.append((shown[0] - started) * 1000)
            style.stop()
            while style.reading:
                app.processEvents()
        print(f"window, Suggest style to rule findings listed ({len(chapter.split()):,} words, {counts[-1]} findings): "
              f"median {statistics.median(times):.1f} ms, worst {max(times):.1f} ms over {rounds} rounds")
        assistant.shutdown()
        window.shutdown()
        window.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--no-window", action="store_true", help="only time check_prose")
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs")
    bench_checks()
    if not args.no_window:
        bench_window(args.rounds)


if __name__ == "__main__":
    main()
