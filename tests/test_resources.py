"""Shipped resources and the Linux desktop entry."""

from __future__ import annotations

import configparser
import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from writer_app.resources import (
    ICON_SIZES,
    app_icon_png,
    getting_started_path,
    resource_path,
    sample_novel_path,
)

REPO = Path(__file__).resolve().parent.parent
INSTALL_SCRIPT = REPO / "packaging" / "install_desktop_entry.sh"


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_sample_novel_is_the_full_public_domain_text():
    text = sample_novel_path().read_text(encoding="utf-8-sig")
    assert "PRIDE AND PREJUDICE" in text
    assert "It is a truth universally acknowledged" in text
    assert text.count("Chapter ") >= 61
    assert resource_path("samples", "pride-and-prejudice.txt") == sample_novel_path()


def test_getting_started_guide_covers_what_a_new_author_needs():
    guide = getting_started_path().read_text(encoding="utf-8")
    assert guide.startswith("# ")
    for topic in (
        "Autosave",
        "Revisions",
        "Ctrl+Enter",
        "right-click",
        "Style",
        "Trainer",
        "data lives",
        "Privacy",
    ):
        assert topic in guide, topic


def test_icons_exist_in_every_size_and_the_svg_is_well_formed():
    for size in ICON_SIZES:
        assert _png_size(resource_path("icons", f"writer-app-{size}.png")) == (size, size)
    root = ET.parse(resource_path("icons", "writer-app.svg")).getroot()
    assert root.tag.endswith("svg") and root.get("viewBox") == "0 0 512 512"
    assert app_icon_png(20).name == "writer-app-32.png"
    assert app_icon_png(4096).name == "writer-app-512.png"


def test_a_missing_resource_is_named_in_the_error():
    with pytest.raises(FileNotFoundError, match="samples/missing.txt"):
        resource_path("samples", "missing.txt")


def _desktop_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_describes_the_app():
    entry = _desktop_entry(REPO / "resources" / "writer-app.desktop")
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Writer"
    assert entry["Icon"] == "writer-app"
    assert entry["Exec"] == "writer-app"
    assert entry["Terminal"] == "false"
    assert "Office" in entry["Categories"].split(";")


@pytest.fixture
def launcher(tmp_path: Path) -> Path:
    """A real launcher for this checkout, in a folder with a space in its name."""
    folder = tmp_path / "my apps"
    folder.mkdir()
    script = folder / "writer-app"
    script.write_text(f'#!/bin/sh\ncd "{REPO}" && exec "{sys.executable}" -m writer_app "$@"\n')
    script.chmod(0o755)
    return script


def test_install_script_installs_entry_and_icons_then_uninstalls(tmp_path, launcher):
    data_home = tmp_path / "xdg-data"
    env = {**os.environ, "XDG_DATA_HOME": str(data_home)}
    subprocess.run([str(INSTALL_SCRIPT), "--exec", str(launcher)], env=env, check=True, capture_output=True)

    installed = data_home / "applications" / "writer-app.desktop"
    entry = _desktop_entry(installed)
    assert entry["Exec"] == f'"{launcher}"'
    assert entry["Icon"] == "writer-app"
    for size in ICON_SIZES:
        icon = data_home / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "writer-app.png"
        assert _png_size(icon) == (size, size)
    assert (data_home / "icons" / "hicolor" / "scalable" / "apps" / "writer-app.svg").is_file()
    if shutil.which("desktop-file-validate"):
        subprocess.run(["desktop-file-validate", str(installed)], check=True)

    # The entry's command really starts writer-app (its CLI answers --version).
    version = subprocess.run([str(launcher), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("writer-app ")

    subprocess.run([str(INSTALL_SCRIPT), "--uninstall"], env=env, check=True, capture_output=True)
    assert not installed.exists()
    assert not list((data_home / "icons").rglob("writer-app.*"))


def test_install_script_refuses_a_missing_executable(tmp_path):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg-data")}
    result = subprocess.run(
        [str(INSTALL_SCRIPT), "--exec", str(tmp_path / "nope")], env=env, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "no runnable writer-app" in result.stderr
    assert not (tmp_path / "xdg-data" / "applications").exists()


@pytest.mark.slow
def test_the_wheel_ships_every_resource(tmp_path):
    """An installed writer-app finds the same files as a checkout (pyproject package-data)."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "writer_app", source / "writer_app", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            ".",
        ],
        cwd=source,
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("writer_app-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    local = {
        path.relative_to(REPO).as_posix()
        for path in (REPO / "writer_app" / "resources").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert local <= shipped, sorted(local - shipped)
    assert "writer_app/resources/samples/pride-and-prejudice.txt" in shipped
