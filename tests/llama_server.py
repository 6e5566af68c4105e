"""A real OpenAI-compatible server for tests: llama-cpp-python's ``llama_cpp.server`` on the embedded GGUF.

``LlamaServer`` starts ``python -m llama_cpp.server`` on 127.0.0.1 (a free
port, one thread, the model's file from ``embedded.embedded_gguf_path()``),
waits until ``GET /v1/models`` answers, and stops it (SIGTERM, then SIGKILL).
The fixtures in ``tests/conftest.py`` use it; tests that need it are marked
``llama_server`` and skipped only where ``llama_cpp`` cannot be imported.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

MODEL_ALIAS = "smollm2-135m"
CONTEXT = 4096
READY_WITHIN_S = 300.0  # loading a 98 MB model on a busy two-core machine; a broken server fails sooner


def llama_cpp_importable() -> bool:
    try:
        import llama_cpp  # noqa: F401
        import llama_cpp.server  # noqa: F401
    except ImportError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LlamaServer:
    def __init__(self, gguf: Path | None = None, alias: str = MODEL_ALIAS, threads: int = 1,
                 extra_args: Sequence[str] = ()) -> None:
        """``extra_args``: more ``llama_cpp.server`` options, e.g. ``("--lora_path", "adapter.gguf")``."""
        from writer_app.llm.embedded import embedded_gguf_path

        self.gguf = Path(gguf or embedded_gguf_path())
        self.alias = alias
        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.root}/v1"
        self._log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)
        self.command = [sys.executable, "-m", "llama_cpp.server", "--model", str(self.gguf),
                        "--model_alias", alias, "--host", "127.0.0.1", "--port", str(self.port),
                        "--n_ctx", str(CONTEXT), "--n_threads", str(threads), "--n_threads_batch", str(threads),
                        # Its default (True) computes every prompt token's logits: writer-app never asks
                        # for them, and the first token came 14 % later (benchmarks/README.md).
                        "--logits_all", "False", "--verbose", "False", *extra_args]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> LlamaServer:
        self.process = subprocess.Popen(self.command, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + READY_WITHIN_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama.cpp server exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/models", timeout=2.0, trust_env=False).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"llama.cpp server not ready within {READY_WITHIN_S:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(Path(self._log.name).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would end it (mid-answer, no goodbye)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)
