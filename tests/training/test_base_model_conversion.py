"""Preparing a training job on a fresh profile converts the embedded model in a process of its own,
so the editor (which prepares the job on its database thread) never imports torch for it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from writer_app.training.model_loading import resolve_base_model

    folder = resolve_base_model("embedded", Path(sys.argv[1]))
    again = resolve_base_model("embedded", Path(sys.argv[1]))  # converted now: answered at once
    print(json.dumps({"folder": str(folder), "again": str(again), "torch": "torch" in sys.modules}))
""")


def test_a_fresh_model_cache_is_converted_outside_the_calling_process(tmp_path):
    cache = tmp_path / "models"
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(cache)], capture_output=True, text=True,
                          timeout=900, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["torch"] is False
    assert answer["folder"] == answer["again"]
    assert (cache / os.path.relpath(answer["folder"], cache) / "config.json").is_file()
