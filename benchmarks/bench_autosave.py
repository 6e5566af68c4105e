"""Autosave latency: an empty library versus a one-million-word library.

A save must cost the same whether the author has one chapter or ten novels:
it rewrites one text row, that row's FTS entries and one node's counts. This
measures the median (and 90th percentile) wall time of ``Library.save_text``
for a ~5,000-word chapter receiving small edits, first in a library holding
only that chapter, then after adding ~1,000,000 words in 200 other chapters.
Every save is a real fsynced commit (WAL, synchronous=FULL), so the figures
include the disk's flush latency.

    python benchmarks/bench_autosave.py [--saves 60] [--dir DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from writer_app.storage import Library  # noqa: E402

CORPUS = REPO / "tests" / "fixtures" / "pride-and-prejudice.txt"


def words_source() -> list[str]:
    return CORPUS.read_text(encoding="utf-8-sig").split()


def chapter(words: list[str], start: int, count: int) -> str:
    picked = [words[(start + i) % len(words)] for i in range(count)]
    return "\n\n".join(" ".join(picked[i:i + 120]) for i in range(0, count, 120))


def time_saves(lib: Library, node_id: int, base: str, saves: int) -> list[float]:
    timings = []
    for i in range(saves):
        text = f"{base} edit{i}"
        started = time.perf_counter()
        lib.save_text(node_id, text)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def report(label: str, timings: list[float]) -> None:
    ordered = sorted(timings)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    print(f"{label:<28} median {statistics.median(ordered):7.2f} ms   p90 {p90:7.2f} ms   ({len(ordered)} saves)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=60)
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--library-words", type=int, default=1_000_000)
    args = parser.parse_args()
    words = words_source()
    with tempfile.TemporaryDirectory() as temp:
        folder = args.dir or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        with Library.open(folder / "bench.sqlite3") as lib:
            project = lib.create_project("Bench")
            base = chapter(words, 0, 5000)
            node = lib.create_node(project.id, "chapter", "Target", text=base)
            lib.save_text(node.id, base + " warm-up")  # the session's first save snapshots; keep it out
            empty = time_saves(lib, node.id, base, args.saves)

            started = time.perf_counter()
            big = lib.create_project("Big library")
            per_chapter = 5000
            with lib.batch("build the benchmark library"):
                for i in range(args.library_words // per_chapter):
                    lib.create_node(big.id, "chapter", f"C{i}", text=chapter(words, i * 977, per_chapter))
            build = time.perf_counter() - started
            total = sum(s.word_count for s in lib.list_projects())
            full = time_saves(lib, node.id, base, args.saves)
        size_mb = (folder / "bench.sqlite3").stat().st_size / 2**20
    print(f"library: {total:,} words, {size_mb:.0f} MB on disk, built in {build:.1f} s")
    report("empty library (5k-word doc)", empty)
    report(f"{total // 1000:,}k-word library", full)
    return 0


if __name__ == "__main__":
    sys.exit(main())
