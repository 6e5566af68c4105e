"""``python -m writer_app.llm.host``: the language model's own process.

Why a process: importing torch and transformers, converting the embedded
GGUF model, quantising and building the model are long stretches of Python
that hold the GIL; in the editor's process they froze typing for up to half a
second at a time during every start. Here they cannot: the editor's process
never imports torch at all, and a crash or an out-of-memory kill here cannot
take the editor (or a word of the manuscript) with it.

The editor starts this with pipes on stdin and stdout (see
``llm.host_client.HostProcess``) and speaks ``llm.host_protocol``. Inside:

- The main thread owns the ``ModelRuntime`` and runs one command at a time:
  load, run a job, exit.
- A listener thread reads the editor's messages. A cancel sets that request's
  ``threading.Event`` at once (the runtime checks it before every token), so
  it never waits behind the generation it is meant to stop.
- The host exits when the editor says so, when its stdin closes (the editor
  closed or died: no orphan keeps a model in memory), or, on Linux, on the
  SIGTERM the kernel sends when the editor dies (``PR_SET_PDEATHSIG``). A
  load that cannot stop is interrupted (the conversion removes its staging
  folder) and, failing that, abandoned after a second.

Protocol frames go to a private copy of stdout; file descriptor 1 itself is
pointed at stderr, so a library that prints cannot corrupt the stream.
"""

from __future__ import annotations

import _thread
import argparse
import gc
import logging
import os
import queue
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from writer_app.errors import UserError
from writer_app.llm.engine import ServerConfig, engine_kind
from writer_app.llm.host_protocol import ModelConfig, ProtocolError, dumps, loads, read_frame, write_frame

if TYPE_CHECKING:
    from writer_app.llm.runtime import ModelRuntime

log = logging.getLogger(__name__)

NOT_LOADED = "The model has not been loaded yet."
PARENT_POLL_S = 0.5  # how often the host checks that the editor that started it is still its parent
EXIT_GRACE_S = 1.0  # how long an interrupted load may take to clean up before the host just exits
# The host never resolves UI classes: a job or a config is llm-layer (or text-layer) data.
_REFUSED_IN_HOST = ("writer_app.ui",)


def inference_threads() -> int:
    """CPU threads for the model: all cores but one, which stays free for the editor.

    On a small machine the difference is large: with two cores shared with
    other work, two torch threads decoded at ~1 token/s and one at ~9.
    """
    return max(1, (os.cpu_count() or 2) - 1)


def describe(runtime: ModelRuntime, config: ModelConfig | ServerConfig, adapter_error: str = "") -> dict[str, Any]:
    """The ``modelLoaded`` info: plain values only (it is pickled back to the editor).

    ``adapter_error`` says why the configured adapter is not attached ("" when it is, or none was asked).
    """
    info = runtime.info
    adapter = "" if adapter_error else getattr(config, "adapter_name", "")
    described: dict[str, Any] = {"adapter": adapter, "setting": config.model, "adapter_error": adapter_error,
                                 "engine": engine_kind(runtime)}
    described.update(name=info.name or config.model, device=info.device, dtype=info.dtype,
                     quantization=info.quantization, memory_bytes=int(info.memory_bytes),
                     context_window=int(info.context_window))
    return described


def load_runtime(config: ModelConfig | ServerConfig, progress) -> tuple[ModelRuntime, str]:
    """The loaded runtime (or server engine) and, if the adapter could not be attached, why ("" otherwise)."""
    if isinstance(config, ServerConfig):
        from writer_app.llm.server_engine import ServerEngine

        return ServerEngine.connect(config, progress), ""  # type: ignore[return-value] - an Engine all the same
    from writer_app.llm.runtime import ModelRuntime

    runtime = ModelRuntime.load(
        config.model,
        config.model_cache,
        device=config.device,
        quantization=config.quantization,
        allow_pickle=config.allow_pickle,
        trust_remote_code=config.trust_remote_code,
        progress=progress,
    )
    if config.adapter_path:
        progress(0.95, f"Attaching the adapter “{config.adapter_name}”…")
        try:
            runtime.attach_adapter(config.adapter_path)
        except UserError as exc:
            # A damaged adapter must not cost the author the assistant: the model stays loaded without
            # it (attach_adapter leaves the plain weights in place) and the editor says why.
            return runtime, str(exc)
    return runtime, ""


class _Exit(Exception):
    """The editor asked the host to stop (or went away)."""


class ModelHost:
    def __init__(self, read_fd: int, write_fd: int) -> None:
        self._read_fd, self._write_fd = read_fd, write_fd
        self._send_lock = threading.Lock()
        self._commands: queue.Queue[tuple] = queue.Queue()
        self._cancels: dict[int, threading.Event] = {}
        self._cancels_lock = threading.Lock()
        self._closing = threading.Event()
        self._busy_loading = False
        self._runtime: ModelRuntime | None = None
        self._load_error = NOT_LOADED
        self._threads_set = False

    # -- talking to the editor ------------------------------------------------------------
    def send(self, *message: Any) -> None:
        payload = dumps(message)
        with self._send_lock:
            try:
                write_frame(self._write_fd, payload)
            except OSError:  # the editor is gone: nobody to answer
                self._begin_exit()
                raise _Exit() from None

    def _cancel_event(self, request_id: int) -> threading.Event:
        with self._cancels_lock:
            return self._cancels.setdefault(request_id, threading.Event())

    def listen(self) -> None:
        """The listener thread: cancels take effect at once, everything else is queued in order."""
        while True:
            try:
                frame = read_frame(self._read_fd)
                message = None if frame is None else loads(frame, _REFUSED_IN_HOST)
            except (OSError, ProtocolError) as exc:
                log.error("model host: unreadable message from the editor (%s); stopping", exc)
                message = None
            if message is None:
                self._begin_exit()
                return
            op = message[0]
            if op == "cancel":
                self._cancel_event(message[1]).set()
            elif op == "run":
                self._cancel_event(message[1])  # a cancel arriving before the run starts still counts
                self._commands.put(message)
            elif op == "exit":
                self._begin_exit()
                return
            else:
                self._commands.put(message)

    def _begin_exit(self) -> None:
        """Stop whatever runs: cancel every request, interrupt a load, and make sure the process ends."""
        if self._closing.is_set():
            return
        self._closing.set()
        with self._cancels_lock:
            for event in self._cancels.values():
                event.set()
        self._commands.put(("exit",))
        if self._busy_loading and threading.current_thread() is not threading.main_thread():
            _thread.interrupt_main()  # a conversion cleans its staging folder up on the way out

        def hard_exit() -> None:
            time.sleep(EXIT_GRACE_S)
            os._exit(0)

        threading.Thread(target=hard_exit, name="host-exit", daemon=True).start()

    # -- the main thread -------------------------------------------------------------------
    def serve(self) -> None:
        threading.Thread(target=self.listen, name="host-listener", daemon=True).start()
        try:
            while True:
                message = self._commands.get()
                op = message[0]
                if op == "exit":
                    return
                if op == "load":
                    self.load(message[1])
                elif op == "run":
                    self.run(message[1], message[2], message[3])
                else:
                    log.error("model host: unknown message %r", op)
        except (_Exit, KeyboardInterrupt):
            return

    def _release(self) -> None:
        runtime, self._runtime = self._runtime, None
        if runtime is not None:
            try:
                runtime.close()
            except Exception:  # noqa: BLE001 - freeing memory must not stop the next load
                log.exception("closing the previous model failed")
        gc.collect()

    def load(self, config: ModelConfig | ServerConfig) -> None:
        self._release()
        if self._closing.is_set():
            return
        self._busy_loading = True
        try:
            if not self._threads_set and not isinstance(config, ServerConfig):  # a server needs no torch
                from writer_app.llm.runtime import set_cpu_threads

                set_cpu_threads(inference_threads())
                self._threads_set = True
            runtime, adapter_error = load_runtime(
                config, lambda fraction, text: self.send("progress", float(fraction), str(text)))
        except UserError as exc:
            self._load_error = str(exc)
            self.send("load_failed", self._load_error)
            return
        except (_Exit, KeyboardInterrupt):
            raise
        except Exception as exc:  # a broken model folder is a message for the author, not a crash
            if self._closing.is_set():
                raise _Exit() from exc
            log.exception("model load failed")
            self._load_error = f"The model could not be loaded: {exc}"
            self.send("load_failed", self._load_error)
            return
        finally:
            self._busy_loading = False
        self._runtime = runtime
        self._load_error = NOT_LOADED
        self.send("progress", 1.0, "Model ready")
        self.send("loaded", describe(runtime, config, adapter_error))

    def run(self, request_id: int, kind: str, job_bytes: bytes) -> None:
        cancel = self._cancel_event(request_id)
        try:
            self._run(request_id, kind, job_bytes, cancel)
        finally:
            with self._cancels_lock:
                self._cancels.pop(request_id, None)

    def _run(self, request_id: int, kind: str, job_bytes: bytes, cancel: threading.Event) -> None:
        if cancel.is_set():
            self.send("failed", request_id, "Cancelled.")
            return
        if self._runtime is None:
            self.send("failed", request_id, self._load_error)
            return
        try:
            job = loads(job_bytes, _REFUSED_IN_HOST)
        except ProtocolError as exc:
            self.send("failed", request_id, f"The assistant could not run this request ({exc}).")
            return
        started = time.perf_counter()
        pieces = 0
        try:
            if kind == "stream":
                chunks: list[str] = []
                for piece in job(self._runtime, cancel):
                    if cancel.is_set():
                        break
                    if piece:
                        chunks.append(piece)
                        pieces += 1
                        self.send("token", request_id, piece)
                result: Any = "".join(chunks)
            else:
                result = job(self._runtime, cancel)
        except UserError as exc:
            self.send("failed", request_id, str(exc))
            return
        except (_Exit, KeyboardInterrupt):
            raise
        except Exception as exc:
            log.exception("generation failed")
            self.send("failed", request_id, f"The model failed: {exc}")
            return
        elapsed = time.perf_counter() - started
        rate = self._runtime.last_tokens_per_second if self._runtime is not None else None
        stats = {
            "seconds": elapsed,
            "pieces": pieces,
            "tokens_per_second": float(rate) if rate else (pieces / elapsed if elapsed > 0 else 0.0),
            "cancelled": cancel.is_set(),
        }
        try:
            # Pickled on its own, so that an answer the editor refuses to read fails only this request.
            packed = dumps(result)
        except Exception as exc:  # noqa: BLE001 - an unpicklable answer is this request's failure
            self.send("failed", request_id, f"The assistant's answer could not be passed on ({exc}).")
            return
        self.send("finished", request_id, packed, stats)


def _claim_std_streams() -> tuple[int, int]:
    """Private copies of stdin/stdout for the protocol; fd 0 becomes /dev/null, fd 1 stderr."""
    read_fd, write_fd = os.dup(0), os.dup(1)  # not inheritable (PEP 446): no child keeps the pipes open
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    return read_fd, write_fd


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGTERM this process when the editor dies (and check it has not already)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: stdin closing still ends the host
            pass
    if not parent_pid:
        return
    if os.getppid() != parent_pid:  # the editor died before prctl took effect
        os._exit(0)

    def watch() -> None:
        # The signal goes to the thread that started the host, not the editor as a whole, and a
        # stdin another process still holds open never closes: a third way out that needs neither.
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_S)
        os._exit(0)

    threading.Thread(target=watch, name="host-parent-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m writer_app.llm.host", description=__doc__.splitlines()[0])
    parser.add_argument("--parent", type=int, default=0, help="the editor's pid (exit when it is gone)")
    args = parser.parse_args(argv)
    read_fd, write_fd = _claim_std_streams()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="model host %(levelname)s: %(message)s")
    host = ModelHost(read_fd, write_fd)
    # SIGTERM (the editor died, or gave up waiting at shutdown): leave the way "exit" does.
    signal.signal(signal.SIGTERM, lambda _sig, _frame: (host._begin_exit(), _raise_interrupt()))
    _die_with_parent(args.parent)
    host.serve()
    sys.stderr.flush()
    os._exit(0)  # skip interpreter teardown: freeing a loaded model that way takes a while


def _raise_interrupt() -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise SystemExit(main())
