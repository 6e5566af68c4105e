"""The wire between the editor and its model host: framed, restricted pickles over two pipes.

Each message is a 4-byte big-endian length and a pickle of a tuple whose first
item names the message. Pickle, because jobs are functions bound to plain data
(``functools.partial`` of a module-level function over strings, tuples and
frozen dataclasses) and results are small dataclasses; the pipes are private
to the two processes.

Both ends unpickle through :func:`loads`, which only resolves writer_app's own
classes and functions and a few harmless standard ones. Besides refusing
anything unexpected, this keeps the editor's promise never to import torch:
a result holding a tensor is refused with a clear error instead of importing
torch into the GUI process to rebuild it.

Messages, editor to host: ``("load", ModelConfig)``, ``("run", request_id,
kind, job_pickle)`` (job and result are pickled on their own, so that one that cannot be read
fails its request, not the stream), ``("cancel", request_id)``, ``("exit",)``. Host to editor:
``("progress", fraction, message)``, ``("loaded", info)``, ``("load_failed",
message)``, ``("token", request_id, text)``, ``("finished", request_id,
result_pickle, stats)``, ``("failed", request_id, message)``.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

HEADER = struct.Struct(">I")
MAX_MESSAGE = 1 << 30  # a frame longer than this is a corrupted stream, not a message

# Standard-library globals a job or a result may legitimately refer to.
_SAFE_GLOBALS = {
    ("functools", "partial"),
    ("pathlib", "Path"),
    ("pathlib", "PosixPath"),
    ("pathlib", "WindowsPath"),
    ("pathlib", "PurePosixPath"),
    ("pathlib", "PureWindowsPath"),
    ("collections", "OrderedDict"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "complex"),
    ("builtins", "bytearray"),
    ("builtins", "slice"),
    ("builtins", "range"),
}


@dataclass(frozen=True)
class ModelConfig:
    """What to load: a snapshot of the relevant settings, safe to send to the host."""

    model: str
    model_cache: Path
    device: str = "auto"
    quantization: str = "auto"
    allow_pickle: bool = False
    trust_remote_code: bool = False
    adapter_path: str = ""  # folder of the active LoRA adapter, "" for none
    adapter_name: str = ""


class ProtocolError(RuntimeError):
    """A message that cannot be read (a refused class, a broken frame)."""


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file: BinaryIO, refused_prefixes: tuple[str, ...]) -> None:
        super().__init__(file)
        self._refused = refused_prefixes

    def find_class(self, module: str, name: str) -> Any:
        own = module == "writer_app" or module.startswith("writer_app.")
        if own and not module.startswith(self._refused):
            return super().find_class(module, name)
        if (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        raise ProtocolError(f"refusing to unpickle {module}.{name}")


def dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes, refused_prefixes: tuple[str, ...] = ()) -> Any:
    """Unpickle ``data``, resolving only writer_app's own names (minus ``refused_prefixes``)."""
    try:
        return _RestrictedUnpickler(io.BytesIO(data), refused_prefixes).load()
    except ProtocolError:
        raise
    except Exception as exc:  # noqa: BLE001 - any unreadable pickle is one kind of failure here
        raise ProtocolError(f"unreadable message: {exc}") from exc


def write_frame(fd: int, payload: bytes) -> None:
    """Write one frame to ``fd`` (blocking; the pipe's reader drains it continuously)."""
    data = memoryview(HEADER.pack(len(payload)) + payload)
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            return None  # the other end closed (or died)
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> bytes | None:
    """The next frame's payload, or None at the end of the stream (also after a torn frame)."""
    header = _read_exactly(fd, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > MAX_MESSAGE:
        raise ProtocolError(f"frame of {size} bytes")
    return _read_exactly(fd, size)
