"""GUI responsiveness: the event loop's longest stall while the author types.

Scenarios (each round runs in a fresh interpreter, so every start really
imports everything again; rounds of different scenarios are interleaved):

- ``autosave``: the real main window (Qt offscreen) on a profile holding ten
  10,000-word chapters, typing at the end of the open chapter with autosave on
  (no assistant).
- ``typing``: the control for the two starts: the same small project and the
  same typing, without the assistant (the machine's own floor).
- ``first-start``: the window with the assistant on a small project and an
  *empty* model cache, typing at once while the embedded model is converted
  (GGUF -> safetensors) and loaded; until 2 s after the model is ready.
- ``warm-start``: the same with the converted model already in the cache (a
  normal start), typing at once; at least ``--seconds``, and 2 s past ready.
- ``continue``: once the model is ready, a 200-token Continue (temperature
  0.7, as the editor samples) streams into the ghost text; gaps while it
  streams, and tokens/s as the editor receives them. (Typing would discard the
  ghost text, so nothing is typed here.)

A 5 ms QTimer on the GUI thread records the gaps between its ticks: a gap well
beyond 5 ms is time the author's keystrokes wait. Prints one line per round and
the medians per scenario; ``--json`` writes every round.

    python benchmarks/bench_ui_stall.py [--scenario autosave|first-start|warm-start|continue|model]
        [--rounds 3] [--seconds 8] [--code DIR [--code DIR2]] [--json out.json]

``model`` runs the three assistant scenarios. ``--code DIR`` measures the
writer-app checkout in DIR (default: this one); give it twice (e.g. a worktree
of main and this branch) for before/after figures, rounds interleaved.
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

STARTED = time.perf_counter()
REPO = Path(__file__).resolve().parent.parent
TICK_MS = 5
MODEL_SCENARIOS = ("first-start", "warm-start", "continue")
SCENARIOS = ("autosave", "typing", *MODEL_SCENARIOS)


# ----------------------------------------------------------------------------- child side
def _heartbeat():
    """Start a 5 ms ticker on the GUI thread; returns (timer, ticks list of perf_counter times)."""
    from PySide6.QtCore import Qt, QTimer

    ticks: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    return timer, ticks


def _typist(editor, interval_ms: int = 40):
    """Type one character every ``interval_ms`` at the end of the editor (a fast typist)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtTest import QTest

    editor.setFocus()
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    sentence = iter(" and so the evening passed in quiet conversation" * 2000)
    timer = QTimer()
    timer.setInterval(interval_ms)
    timer.timeout.connect(lambda: QTest.keyClicks(editor, next(sentence)))
    timer.start()
    return timer


def _gap_figures(ticks: list[float], since: float, until: float) -> dict:
    window = [t for t in ticks if since <= t <= until]
    gaps = sorted((b - a) * 1000 for a, b in zip(window, window[1:], strict=False))
    if not gaps:
        return {"ticks": 0, "max_ms": 0.0, "p99_ms": 0.0, "over_50ms": 0}
    return {"ticks": len(gaps), "max_ms": round(gaps[-1], 1), "p99_ms": round(gaps[int(len(gaps) * 0.99)], 1),
            "over_50ms": sum(g > 50 for g in gaps)}


def _worst(ticks: list[float], origin: float, phases: list[tuple[float, str]], count: int = 5) -> list[dict]:
    """The longest gaps, each with when it ended (s after the window showed) and the load phase then."""
    pairs = sorted(((b - a, b) for a, b in zip(ticks, ticks[1:], strict=False)), reverse=True)[:count]
    out = []
    for gap, end in pairs:
        phase = next((m for t, m in reversed(phases) if t <= end - gap), "before any load message")
        out.append({"gap_ms": round(gap * 1000, 1), "at_s": round(end - origin, 2), "phase": phase})
    return out


def _usage() -> tuple[float, int]:
    import resource

    return time.process_time(), resource.getrusage(resource.RUSAGE_SELF).ru_nivcsw


def _usage_since(start: tuple[float, int]) -> dict:
    """The GUI process's own CPU time, and how often the kernel preempted it (CPU contention)."""
    cpu, switches = _usage()
    return {"gui_cpu_s": round(cpu - start[0], 2), "preempted": switches - start[1]}


def _wait(app, condition, seconds: float) -> bool:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        app.processEvents()
        if condition():
            return True
        time.sleep(0.002)
    return condition()


def _protect_singletons() -> None:
    """What writer_app.ui.refcount_guard does, here too, so that older checkouts measured with
    ``--code`` survive PySide6 6.12.0's dropped references to None/True on CPython < 3.12."""
    import ctypes

    if sys.implementation.name == "cpython" and sys.version_info < (3, 12) and not hasattr(sys, "getobjects"):
        for obj in (None, True, False):
            if sys.getrefcount(obj) < 1 << 59:
                ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 60


def run_child(scenario: str, profile: Path, seconds: float) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _protect_singletons()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    if scenario == "autosave":
        from tests.ui.stall_probe import measure_stalls
        from writer_app.ui.app import build_main_window

        window = build_main_window(profile, extensions=())
        window.show()
        report = measure_stalls(window, seconds=seconds)
        window.close()
        return {"scenario": scenario, "max_ms": round(report.longest_stall_ms, 1),
                "p99_ms": round(report.p99_gap_ms, 1), "saves": report.saves}

    from writer_app.ui.app import build_main_window

    built_at = time.perf_counter()
    window = build_main_window(profile, **({"extensions": ()} if scenario == "typing" else {}))
    window.show()
    shown = time.perf_counter()
    if scenario == "typing":
        usage = _usage()
        ticker, ticks = _heartbeat()
        typist = _typist(window.editor)
        _wait(app, lambda: False, seconds)
        ticker.stop()
        typist.stop()
        result = {"scenario": scenario, **_gap_figures(ticks, shown, time.perf_counter()), **_usage_since(usage),
                  "worst": _worst(ticks, shown, [])}
        window.close()
        return result
    client = window.assistant.client
    phases: list[tuple[float, str]] = []
    state: dict = {}
    client.loadProgress.connect(lambda _f, message: phases.append((time.perf_counter(), message)))
    client.modelLoaded.connect(lambda _info: state.setdefault("loaded", time.perf_counter()))
    client.loadFailed.connect(lambda message: state.setdefault("error", message))
    result: dict = {"scenario": scenario, "imports_s": round(built_at - STARTED, 2),
                    "build_window_s": round(shown - built_at, 2)}
    usage = _usage()
    if scenario in ("first-start", "warm-start"):
        ticker, ticks = _heartbeat()
        typist = _typist(window.editor)
        _wait(app, lambda: "loaded" in state or "error" in state, 300)
        end = max(shown + seconds, time.perf_counter() + 2.0)
        _wait(app, lambda: False, end - time.perf_counter())
        ticker.stop()
        typist.stop()
        result.update(_gap_figures(ticks, shown, end))
        result["worst"] = _worst(ticks, shown, phases)
    else:
        if not _wait(app, lambda: "loaded" in state or "error" in state, 300) or "error" in state:
            raise SystemExit(f"the model did not load: {state.get('error')}")
        _wait(app, lambda: False, 1.0)
        assistant = window.assistant
        editor = window.editor
        editor.setFocus()
        editor.moveCursor(editor.textCursor().MoveOperation.End)
        assistant.panel.length.setValue(200)
        assistant.panel.temperature.setValue(0.7)
        assistant.panel.variants.setValue(1)
        arrivals: list[float] = []
        client.tokenProduced.connect(lambda _rid, _piece: arrivals.append(time.perf_counter()))
        client.finished.connect(lambda _rid, _res, stats: state.setdefault("stats", stats))
        client.failed.connect(lambda _rid, message: state.setdefault("failed", message))
        ticker, ticks = _heartbeat()
        triggered = time.perf_counter()
        window.actions_by_name["actionContinue"].trigger()
        _wait(app, lambda: "stats" in state or "failed" in state, 300)
        done = time.perf_counter()
        ticker.stop()
        if "failed" in state:
            raise SystemExit(f"the Continue failed: {state['failed']}")
        result.update(_gap_figures(ticks, triggered, done))
        result["worst"] = _worst(ticks, triggered, phases)
        stats = state["stats"]
        result["pieces"] = len(arrivals)
        result["first_token_s"] = round(arrivals[0] - triggered, 2) if arrivals else None
        span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
        result["editor_tokens_per_s"] = round((len(arrivals) - 1) / span, 1) if span > 0 else 0.0
        result["runtime_tokens_per_s"] = round(float(stats.get("tokens_per_second") or 0.0), 1)
    result.update(_usage_since(usage))
    if "loaded" in state:
        result["model_ready_s"] = round(state["loaded"] - shown, 2)
    if "error" in state:
        result["load_error"] = state["error"]
    closing = time.perf_counter()
    window.close()
    result["close_s"] = round(time.perf_counter() - closing, 3)
    result["torch_in_gui_process"] = "torch" in sys.modules
    return result


# ---------------------------------------------------------------------------- parent side
def _make_profile(code: Path, profile: Path, words: int, chapter: int) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(code), str(REPO)])}
    subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                    "from tests.ui.stall_probe import make_big_project; "
                    f"make_big_project(Path(sys.argv[1]), {words}, {chapter})", str(profile)],
                   check=True, env=env, cwd=REPO)


def _run_round(code: Path, scenario: str, profile: Path, cache: Path, seconds: float) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(code), str(REPO)]), "QT_QPA_PLATFORM": "offscreen",
           "WRITER_APP_MODEL_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false"}
    with tempfile.TemporaryDirectory(prefix="writer-stall-home-") as home:
        for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
            env[var] = os.path.join(home, var.lower())
        out = Path(home) / "result.json"
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", scenario,
                               "--profile", str(profile), "--seconds", str(seconds), "--result", str(out)],
                              env=env, cwd=code, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0 or not out.exists():
            return {"scenario": scenario, "error": (proc.stderr or proc.stdout).strip().splitlines()[-3:]}
        return json.loads(out.read_text())


def _line(result: dict) -> str:
    if "error" in result:
        return f"{result['scenario']:<12} FAILED: {result['error']}"
    parts = [f"{result['scenario']:<12} max {result['max_ms']:6.1f} ms  p99 {result['p99_ms']:5.1f} ms"]
    if "over_50ms" in result:
        parts.append(f"{result['over_50ms']:3d} gaps > 50 ms")
    if "model_ready_s" in result:
        parts.append(f"model ready {result['model_ready_s']:.1f} s")
    if "editor_tokens_per_s" in result:
        parts.append(f"{result['pieces']} tokens, {result['editor_tokens_per_s']} tok/s in the editor "
                     f"(runtime {result['runtime_tokens_per_s']}), first after {result['first_token_s']} s")
    if "gui_cpu_s" in result:
        parts.append(f"GUI CPU {result['gui_cpu_s']} s, preempted {result['preempted']}x")
    if "close_s" in result:
        parts.append(f"close {result['close_s'] * 1000:.0f} ms")
    if result.get("worst"):
        parts.append("worst: " + ", ".join(f"{w['gap_ms']:.0f} ms @{w['at_s']} s ({w['phase']})"
                                            for w in result["worst"][:3]))
    return "  ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="autosave", choices=(*SCENARIOS, "model"),
                        help="model = first-start, warm-start and continue")
    parser.add_argument("--seconds", type=float, default=None,
                        help="typing time (autosave: 10; starts: at least this long, default 8)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--code", type=Path, action="append", default=None,
                        help="a writer-app checkout to measure (repeat to compare, rounds interleaved)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--also", action="append", default=[], choices=SCENARIOS,
                        help="another scenario to interleave (e.g. --scenario warm-start --also typing)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--profile", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = run_child(args.child, args.profile, args.seconds)
        args.result.write_text(json.dumps(result))
        os._exit(0)  # leave no chance for a hanging thread to keep the child alive

    codes = [c.resolve() for c in (args.code or [REPO])]
    scenarios = list(MODEL_SCENARIOS) if args.scenario == "model" else [args.scenario]
    scenarios += [s for s in args.also if s not in scenarios]
    shared_cache = Path(os.environ.get("WRITER_APP_MODEL_CACHE", REPO / ".cache" / "models")).resolve()
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="writer-stall-") as tmp:
        big, small = Path(tmp) / "big", Path(tmp) / "small"
        if "autosave" in scenarios:
            _make_profile(codes[0], big, 100_000, 10_000)
        if any(s != "autosave" for s in scenarios):
            _make_profile(codes[0], small, 6_000, 2_000)
        if any(s in scenarios for s in ("warm-start", "continue")):
            for code in codes:
                _run_round(code, "warm-start", small, shared_cache, 1.0)  # untimed: warm the file cache
        for index in range(args.rounds):
            for scenario in scenarios:
                for code in codes:  # interleaved, so that a busy spell on the machine hits both
                    if scenario == "autosave":
                        result = _run_round(code, scenario, big, shared_cache, args.seconds or 10.0)
                    elif scenario == "first-start":
                        empty = Path(tmp) / f"cache-{index}-{codes.index(code)}"
                        empty.mkdir()
                        result = _run_round(code, scenario, small, empty, args.seconds or 8.0)
                    else:
                        result = _run_round(code, scenario, small, shared_cache, args.seconds or 8.0)
                    result.update(round=index + 1, code=str(code))
                    results.append(result)
                    label = f"  [{code.name}]" if len(codes) > 1 else ""
                    print(f"round {index + 1}{label}  {_line(result)}", flush=True)
    for code in codes:
        print(f"medians over {args.rounds} rounds ({code}):")
        for scenario in scenarios:
            ok = [r for r in results if r["scenario"] == scenario and r["code"] == str(code) and "error" not in r]
            if not ok:
                continue
            keys = ("max_ms", "p99_ms", "over_50ms", "model_ready_s", "editor_tokens_per_s", "close_s",
                    "gui_cpu_s")
            medians = {k: statistics.median(r[k] for r in ok) for k in keys if all(k in r for r in ok)}
            torch_seen = any(r.get("torch_in_gui_process") for r in ok)
            print(f"  {scenario:<12} " + "  ".join(f"{k} {v:g}" for k, v in medians.items())
                  + (f"  torch in the GUI process: {torch_seen}" if scenario in MODEL_SCENARIOS else ""))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    if "--child" in sys.argv:  # the measured code first on the path (set by the parent)
        sys.path[:0] = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    raise SystemExit(main())
