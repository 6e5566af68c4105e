"""Kill a typing app with SIGKILL and check what reached the database (used by the test and
scripts/kill_app_test.py)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from writer_app.storage import Library
from writer_app.text.counts import count_characters

REPO = Path(__file__).resolve().parents[2]


@dataclass
class KillOutcome:
    typed_chars: int
    stored_chars: int
    integrity: list[str]
    stored_is_prefix: bool
    lost_seconds: float  # typing time not in the database (kill time - time the lost text began)
    acknowledged_kept: bool = True  # every save the app reported complete before the kill is stored


def kill_once(data_dir: Path, run_seconds: float, seed: int | None = None) -> KillOutcome:
    """Kill the typing child ``run_seconds`` (plus up to 1 s) after its first completed save.

    Waiting for that save (however long a busy machine takes) rather than a fixed time makes
    every run kill a window that has saved while the author kept typing.
    """
    from tests.ui.typing_child import script

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    child = subprocess.Popen([sys.executable, "-m", "tests.ui.typing_child", str(data_dir)], cwd=REPO,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: list[dict] = []
    ready = threading.Event()
    saved = threading.Event()

    def read() -> None:
        for line in child.stdout:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            lines.append(record)
            if record.get("event") == "ready":
                ready.set()
            if "saved_chars" in record:
                saved.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not ready.wait(300):
            raise RuntimeError("the typing child never became ready")
        if not saved.wait(300):
            raise RuntimeError("the typing child typed for 5 minutes without a completed save")
        jitter = random.Random(seed).uniform(0, 1.0)
        time.sleep(run_seconds + jitter)
        killed_at = time.time()
        os.kill(child.pid, signal.SIGKILL)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(30)
        reader.join(10)
    node_id = next(r["node_id"] for r in lines if r.get("event") == "ready")
    progress = [r for r in lines if "typed" in r]
    library = Library.open(data_dir / "library.sqlite3")
    try:
        integrity = library.integrity_check()
        stored = library.get_text(node_id)
    finally:
        library.close()
    typed_chars = progress[-1]["typed"] if progress else 0
    expected = script()[:typed_chars]
    # The text that did not make it began being typed at the first report past the stored length.
    beyond = [r for r in progress if r["typed"] > len(stored)]
    lost_seconds = max(0.0, killed_at - beyond[0]["t"]) if beyond else 0.0
    acknowledged = max((r["saved_chars"] for r in lines if "saved_chars" in r), default=0)
    return KillOutcome(typed_chars, len(stored), integrity, expected.startswith(stored), lost_seconds,
                       count_characters(stored) >= acknowledged)
