#!/usr/bin/env python3
"""Kill the typing app with SIGKILL many times and report what reached the database.

    python scripts/kill_app_test.py --runs 20

Each run starts a fresh profile, opens the real window in a child process
(QT offscreen), types into it with a QTimer, kills it after 1.5-2.5 s, then
checks the database's integrity, that it holds a prefix of what was typed,
and how many seconds of typing were lost. Exit 1 if any run fails.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.ui.kill_harness import kill_once  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=1.5, help="typing time before the kill (+0-1 s)")
    parser.add_argument("--max-lost", type=float, default=2.5, help="seconds of typing allowed to be lost")
    args = parser.parse_args()
    failures, worst = 0, 0.0
    with tempfile.TemporaryDirectory(prefix="writer-kill-") as tmp:
        for run in range(args.runs):
            outcome = kill_once(Path(tmp) / f"profile-{run}", args.seconds, seed=run)
            ok = outcome.integrity == ["ok"] and outcome.stored_is_prefix and outcome.lost_seconds <= args.max_lost
            failures += not ok
            worst = max(worst, outcome.lost_seconds)
            print(f"run {run:3d}: typed {outcome.typed_chars:6d}  stored {outcome.stored_chars:6d}  "
                  f"lost {outcome.lost_seconds:5.2f} s  integrity {outcome.integrity[0]:<4}  "
                  f"{'ok' if ok else 'FAIL'}", flush=True)
    print(f"{args.runs - failures}/{args.runs} runs ok; worst loss {worst:.2f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
