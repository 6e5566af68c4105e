"""Light and dark themes: a QPalette (so every standard widget follows) plus a small QSS.

The palette is built in code so the app still looks right if the QSS files
are missing from a bundle; the stylesheets in ``resources/themes`` only add
the paper-like editor column and the save-state colours.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("light", "dark")
THEME_DIRS = (
    Path(__file__).resolve().parents[2] / "resources" / "themes",
    Path(__file__).resolve().parents[1] / "resources" / "themes",
)

_COLORS = {
    "light": {
        "window": "#f3f1ec", "text": "#2b2924", "base": "#fffdf8", "alt": "#f0ede6",
        "button": "#e9e5dc", "highlight": "#5b7fa6", "highlighted_text": "#ffffff",
        "disabled": "#9a968d", "link": "#1f4f7a", "tooltip": "#fffdf0",
    },
    "dark": {
        "window": "#1f2023", "text": "#e2ddd3", "base": "#25272b", "alt": "#2b2d31",
        "button": "#2f3136", "highlight": "#3e5a78", "highlighted_text": "#ffffff",
        "disabled": "#6d6a64", "link": "#9ec5e8", "tooltip": "#2f3136",
    },
}


def theme_palette(name: str) -> QPalette:
    colors = _COLORS.get(name, _COLORS["light"])
    palette = QPalette()
    role = QPalette.ColorRole
    palette.setColor(role.Window, QColor(colors["window"]))
    palette.setColor(role.WindowText, QColor(colors["text"]))
    palette.setColor(role.Base, QColor(colors["base"]))
    palette.setColor(role.AlternateBase, QColor(colors["alt"]))
    palette.setColor(role.Text, QColor(colors["text"]))
    palette.setColor(role.Button, QColor(colors["button"]))
    palette.setColor(role.ButtonText, QColor(colors["text"]))
    palette.setColor(role.Highlight, QColor(colors["highlight"]))
    palette.setColor(role.HighlightedText, QColor(colors["highlighted_text"]))
    palette.setColor(role.ToolTipBase, QColor(colors["tooltip"]))
    palette.setColor(role.ToolTipText, QColor(colors["text"]))
    palette.setColor(role.PlaceholderText, QColor(colors["disabled"]))
    palette.setColor(role.Link, QColor(colors["link"]))
    for disabled_role in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, disabled_role, QColor(colors["disabled"]))
    return palette


def theme_stylesheet(name: str) -> str:
    for folder in THEME_DIRS:
        path = folder / f"{name}.qss"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return ""


def apply_theme(app: QApplication, name: str) -> str:
    """Apply ``name`` (unknown names fall back to light); returns the theme used."""
    name = name if name in THEMES else "light"
    app.setStyle("Fusion")  # the same look on every platform, and the palette is honoured
    app.setPalette(theme_palette(name))
    app.setStyleSheet(theme_stylesheet(name))
    return name
