"""Torch imported from two threads at once (welcome's GPU probe + the model load) must work."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_concurrent_first_imports_leave_torch_usable():
    # A fresh interpreter, so torch is really imported for the first time here.
    script = textwrap.dedent(
        """
        import threading
        from writer_app.llm.diagnostics import gpu_memory_gb
        from writer_app.llm.runtime import set_cpu_threads

        errors = []
        def run(fn, *args):
            try:
                fn(*args)
            except Exception as exc:  # report, don't hide
                errors.append(repr(exc))

        threads = [threading.Thread(target=run, args=(gpu_memory_gb,)),
                   threading.Thread(target=run, args=(set_cpu_threads, 1))]
        for t in threads: t.start()
        for t in threads: t.join()
        import torch
        x = torch.arange(6, dtype=torch.float32)
        print("ERRORS", errors)
        print("VAR", float(torch.var(x)))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ERRORS []" in done.stdout
    assert "VAR 3.5" in done.stdout
