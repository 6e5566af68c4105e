"""The PyInstaller desktop bundle: it builds, and the built program works.

Skipped where PyInstaller is not installed (it is the ``package`` extra, not a
run-time dependency). Building takes several minutes, so the bundle is built
once for the module, into a temporary folder, by the same script a packager
runs (packaging/build_bundle.sh).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PyInstaller")

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
BUILD_SCRIPT = REPO / "packaging" / "build_bundle.sh"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle")
    env = {
        **os.environ,
        "WRITER_APP_BUNDLE_PYTHON": sys.executable,
        "WRITER_APP_BUNDLE_DIST": str(out / "dist"),
        "WRITER_APP_BUNDLE_WORK": str(out / "work"),
    }
    result = subprocess.run([str(BUILD_SCRIPT)], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-4000:]
    executable = out / "dist" / "writer-app" / "writer-app"
    assert os.access(executable, os.X_OK)
    return executable


def _run(executable: Path, *args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(executable), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **env},
        cwd=executable.parent.parent,  # not the checkout: the bundle must not lean on its sources
    )


def test_bundle_carries_resources_and_qt_plugins_but_no_converted_model(bundle):
    internal = bundle.parent / "_internal"
    assert (internal / "writer_app" / "resources" / "samples" / "pride-and-prejudice.txt").is_file()
    assert (internal / "writer_app" / "resources" / "guide" / "getting-started.md").is_file()
    assert (internal / "writer_app" / "resources" / "icons" / "writer-app-256.png").is_file()
    assert (internal / "hunspell" / "dictionaries" / "en_US.dic").is_file(), "spell check needs its dictionary"
    assert list(internal.rglob("libhunspell*.so*")), "and the Hunspell engine"
    themes = sorted(p.name for p in (REPO / "resources" / "themes").glob("*") if p.is_file())
    assert themes and sorted(p.name for p in (internal / "resources" / "themes").iterdir()) == themes
    plugins = internal / "PySide6" / "Qt" / "plugins"
    assert (plugins / "platforms" / "libqxcb.so").is_file()
    assert (plugins / "platforms" / "libqoffscreen.so").is_file()
    assert (plugins / "imageformats" / "libqsvg.so").is_file()
    assert list(internal.rglob("*.gguf")), "the embedded model's GGUF source must ship"
    assert not list(internal.rglob("model.safetensors")), "converted models belong in the user cache"


def test_bundle_runs_the_library_commands(bundle, tmp_path):
    profile = tmp_path / "profile"
    version = _run(bundle, "--version")
    assert version.returncode == 0 and version.stdout.startswith("writer-app ")
    empty = _run(bundle, "--data-dir", str(profile), "projects")
    assert empty.returncode == 0, empty.stderr
    sample = bundle.parent / "_internal" / "writer_app" / "resources" / "samples" / "pride-and-prejudice.txt"
    imported = _run(bundle, "--data-dir", str(profile), "import", str(sample))
    assert imported.returncode == 0, imported.stderr
    listed = _run(bundle, "--data-dir", str(profile), "projects")
    assert "Pride and Prejudice" in listed.stdout
    assert (profile / "library.sqlite3").is_file(), "--data-dir must hold the profile's library"
    bad = _run(bundle, "--data-dir", str(profile), "import", str(tmp_path / "missing.txt"))
    assert bad.returncode != 0 and "Traceback" not in bad.stderr and bad.stderr.strip()


def test_bundle_starts_the_trainer_process_entry_point(bundle, tmp_path):
    """The app starts its trainer as ``sys.executable -m writer_app.training JOB``."""
    result = _run(bundle, "-m", "writer_app.training", str(tmp_path / "no-job.json"))
    assert result.returncode == 1
    event = json.loads(result.stdout.strip().splitlines()[-1])
    assert event["event"] == "error" and "no-job.json" in event["message"]


def test_bundle_generates_with_the_embedded_model(bundle, tmp_path, embedded_model_dir):
    result = _run(
        bundle,
        "--data-dir", str(tmp_path / "profile"),
        "generate", "--task", "continue", "--text", "It was a dark and stormy night.",
        "--model", "embedded", "--max-new-tokens", "8", "--temperature", "0", "--seed", "1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip()


def test_bundle_opens_the_main_window_offscreen(bundle, tmp_path):
    from writer_app.ui.app import SMOKE_EXIT_ENV as smoke_env

    result = _run(
        bundle,
        "--data-dir", str(tmp_path / "profile"),
        timeout=180,
        QT_QPA_PLATFORM="offscreen",
        **{smoke_env: "1500"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert (tmp_path / "profile" / "library.sqlite3").is_file()
