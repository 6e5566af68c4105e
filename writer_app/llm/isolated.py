"""Run one llm function in a short-lived process: ``python -m writer_app.llm.isolated``.

For the editor's probes that need torch (the welcome dialog's GPU check, Help ▸
Diagnostics): importing torch holds the GIL for seconds, which in the editor's
process froze typing even from a background thread. Here it costs the editor
nothing but a blocked background thread (waiting on a pipe releases the GIL).

The call and its answer travel as ``llm.host_protocol`` frames over the
child's stdin and stdout (the child points fd 1 at stderr first, so a
library's print cannot corrupt the answer). Only functions of
``writer_app.llm`` may be called.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from writer_app.llm.host_client import child_environment, describe_exit
from writer_app.llm.host_protocol import HEADER, ProtocolError, dumps, loads, read_frame, write_frame

DEFAULT_TIMEOUT_S = 300.0


class IsolatedCallFailed(RuntimeError):
    """The child process failed, crashed or answered nonsense; the message says which."""


def call(function: Callable[..., Any], *args: Any, timeout: float = DEFAULT_TIMEOUT_S) -> Any:
    """``function(*args)`` in a fresh process; blocks the calling thread (never call it on the GUI thread).

    Raises the function's own ``UserError`` unchanged, and IsolatedCallFailed for anything else.
    """
    module = getattr(function, "__module__", "")
    if not module.startswith("writer_app.llm."):
        raise ValueError(f"only writer_app.llm functions run isolated, not {module}.{function.__qualname__}")
    request = dumps((module, function.__qualname__, args))
    try:
        done = subprocess.run([sys.executable, "-m", "writer_app.llm.isolated"], input=_frame(request),
                              capture_output=True, timeout=timeout, env=child_environment())
    except subprocess.TimeoutExpired as exc:
        raise IsolatedCallFailed(f"{function.__qualname__} did not finish within {timeout:.0f} s") from exc
    except OSError as exc:
        raise IsolatedCallFailed(f"could not start a process for {function.__qualname__}: {exc}") from exc
    try:
        status, value = loads(_unframe(done.stdout))
    except (ProtocolError, ValueError, TypeError) as exc:
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise IsolatedCallFailed(f"{function.__qualname__} stopped ({describe_exit(done.returncode)}) "
                                 f"{last[0]}".strip()) from exc
    if status == "ok":
        return value
    if status == "user_error":
        from writer_app.errors import UserError

        raise UserError(value)
    raise IsolatedCallFailed(value)


def _frame(payload: bytes) -> bytes:
    return HEADER.pack(len(payload)) + payload


def _unframe(data: bytes) -> bytes:
    if len(data) < HEADER.size:
        raise ValueError("no answer")
    (size,) = HEADER.unpack(data[: HEADER.size])
    body = data[HEADER.size : HEADER.size + size]
    if len(body) != size:
        raise ValueError("a torn answer")
    return body


def main() -> int:
    read_fd, write_fd = os.dup(0), os.dup(1)
    os.dup2(2, 1)  # stray prints go to stderr, not into the answer
    frame = read_frame(read_fd)
    if frame is None:
        return 2
    module_name, qualname, args = loads(frame, ("writer_app.ui",))
    if not module_name.startswith("writer_app.llm."):
        return 2
    import importlib

    from writer_app.errors import UserError

    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
        answer: tuple[str, Any] = ("ok", target(*args))
    except UserError as exc:
        answer = ("user_error", str(exc))
    except Exception as exc:  # noqa: BLE001 - reported to the caller as one line
        answer = ("error", f"{qualname} failed: {exc}")
    try:
        payload = dumps(answer)
    except Exception as exc:  # noqa: BLE001 - an unpicklable answer is still an answer
        payload = dumps(("error", f"{qualname} returned something that cannot be passed back: {exc}"))
    write_frame(write_fd, payload)
    sys.stderr.flush()
    os._exit(0)  # no interpreter teardown after torch: it only costs time


if __name__ == "__main__":
    raise SystemExit(main())
