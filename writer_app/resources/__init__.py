"""Files the app ships with: icons, the sample novel, the getting-started guide.

They live inside the package so that every way of running writer-app finds
them the same way: from a checkout, from an installed wheel
(``[tool.setuptools.package-data]``), and from the PyInstaller bundle (the
spec copies this folder). Code asks ``resource_path(...)`` instead of building
paths from ``__file__``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SAMPLE_NOVEL = ("samples", "pride-and-prejudice.txt")
GETTING_STARTED = ("guide", "getting-started.md")
APP_ICON_SVG = ("icons", "writer-app.svg")
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


def resource_path(*parts: str) -> Path:
    """The path of a shipped resource, e.g. ``resource_path("samples", "pride-and-prejudice.txt")``.

    Raises ``FileNotFoundError`` naming the resource if it is not shipped, so
    a broken install fails loudly rather than showing an empty window.
    """
    # Regular installs, checkouts and the PyInstaller bundle all keep resources as real files.
    path = Path(str(files(__name__).joinpath(*parts)))
    if not path.exists():
        raise FileNotFoundError(f"writer-app resource missing: {'/'.join(parts)}")
    return path


def app_icon_png(size: int = 256) -> Path:
    """The app icon as a PNG of the nearest shipped size at or above ``size``."""
    chosen = next((s for s in ICON_SIZES if s >= size), ICON_SIZES[-1])
    return resource_path("icons", f"writer-app-{chosen}.png")


def sample_novel_path() -> Path:
    return resource_path(*SAMPLE_NOVEL)


def getting_started_path() -> Path:
    return resource_path(*GETTING_STARTED)
