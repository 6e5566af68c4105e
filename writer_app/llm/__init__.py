"""The model runtime: loading, prompts per task, streaming generation, adapters.

torch and transformers are imported lazily, inside functions, so that the
window opens fast and the storage and UI tests do not pay for them.
"""

from __future__ import annotations

import threading

_IMPORT_LOCK = threading.Lock()


def import_ml_stack() -> None:
    """Import torch and transformers once, under a lock.

    The app touches torch from more than one thread (the inference worker's
    load, the welcome's GPU probe, diagnostics). Importing torch from two
    threads at once can leave operators half-registered ("operator prims::var
    does not exist"), so the first import is serialised; later calls return
    at once because the modules are cached.
    """
    with _IMPORT_LOCK:
        import torch  # noqa: F401
        import transformers  # noqa: F401
