"""Replace a file so that readers see the old contents or the new, never half.

Settings, exports, the trainer's job and dataset files all need this: write
to a temporary file beside the target, flush it to disk, then rename it over
the target (a rename within one folder is atomic). A crash or a full disk
part way leaves the previous file untouched and no stray temporary.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


@contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", *, encoding: str = "utf-8",
                 newline: str | None = None) -> Iterator[IO[Any]]:
    """Yield a handle on a temporary file that becomes ``path`` when the block ends cleanly.

    The folder must exist; ``mode`` is ``"w"`` (text) or ``"wb"`` (bytes).
    """
    target = Path(path)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    try:
        text = "b" not in mode
        with os.fdopen(fd, mode, encoding=encoding if text else None, newline=newline if text else None) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
