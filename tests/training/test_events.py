"""The trainer's protocol from the app's side (``training.events``): one reader, one stop policy."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

from writer_app.training import events

LINES = [
    json.dumps({"event": "started", "run_id": "r1"}).encode(),
    b"Traceback (most recent call last):",  # stray output that is not an event
    b"[1, 2, 3]",  # JSON, but not an event
    b"\xff\xfe not UTF-8",
    json.dumps({"event": "progress", "step": 1, "message": "caf\u00e9"}, ensure_ascii=True).encode(),
    b"",
]


def test_events_arriving_in_any_pieces_are_read_whole_once_and_noise_is_skipped():
    stream = b"\n".join(LINES) + b"\n" + b'{"event": "checkpoint", "st'  # a killed trainer's half line
    for size in (1, 2, 7, len(stream)):
        reader = events.EventReader()
        seen = []
        for start in range(0, len(stream), size):
            seen.extend(reader.feed(stream[start:start + size]))
        assert seen == [{"event": "started", "run_id": "r1"},
                        {"event": "progress", "step": 1, "message": "café"}]
        assert reader.feed(b'ep": 2}\n') == [{"event": "checkpoint", "step": 2}]


def _child(code: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_a_trainer_that_stops_on_sigterm_is_not_killed_and_its_exit_code_is_returned():
    proc = _child("import signal, sys, time\n"
                  "signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))\n"
                  "print('ready', flush=True)\n"
                  "time.sleep(600)\n")
    assert events.stop_process(proc) == 130
    proc.stdout.close()


def test_a_trainer_that_ignores_sigterm_is_killed_after_the_grace_period():
    proc = _child("import signal, time\n"
                  "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                  "print('ready', flush=True)\n"
                  "time.sleep(600)\n")
    assert events.stop_process(proc, kill_after_s=0.5) == -signal.SIGKILL
    proc.stdout.close()


def test_the_cli_reader_skips_stdout_bytes_that_are_not_utf8_as_the_tab_does(tmp_path, monkeypatch):
    """A native library that prints raw bytes on the trainer's stdout must not end the CLI's run.

    The trainer process here is a stand-in that writes what such a run's pipe
    carries (the real one only writes ASCII JSON itself): a line of Latin-1
    bytes between two events.
    """
    from writer_app.training import runs

    script = ("import sys\n"
              "out = sys.stdout.buffer\n"
              "out.write(b'{\"event\": \"started\", \"run_id\": \"r1\"}\\n')\n"
              "out.write(b'caf\\xe9 au lait\\n')\n"
              "out.write(b'{\"event\": \"done\", \"adapter_path\": \"x\", \"metrics\": {}}\\n')\n")
    monkeypatch.setattr(events, "trainer_command", lambda job_path: [sys.executable, "-c", script])
    seen: list[dict] = []
    code, last = runs.run_trainer(tmp_path / "job.json", seen.append)
    assert code == 0
    assert [e["event"] for e in seen] == ["started", "done"] and last == seen[-1]
