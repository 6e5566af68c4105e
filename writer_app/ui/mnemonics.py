"""Alt-key letters for menu entries: read one, and give one to every entry that lacks a key.

Separate from ``ui/menus.py`` so that the shortcuts sheet can read mnemonics
without importing the module that opens it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from writer_app.ui.main_window import MainWindow


def assign_mnemonics(window: MainWindow) -> None:
    """Give every menu entry without an Alt-key one of its own (the first free letter of its
    text), so extensions' entries (the assistant's, the panels' toggles) are reachable by keyboard too."""
    for menu in window.menus.values():
        _assign_in(menu)


def _assign_in(menu: QMenu) -> None:
    actions = [a for a in menu.actions() if not a.isSeparator() and a.text()]
    used = {m.lower() for a in actions if (m := mnemonic(a.text()))}
    for action in actions:
        if action.menu() is not None:
            _assign_in(action.menu())
        if mnemonic(action.text()):
            continue
        text = action.text()
        for index, ch in enumerate(text):
            if ch.isalnum() and ch.lower() not in used:
                used.add(ch.lower())
                action.setText(text[:index] + "&" + text[index:])
                break


def mnemonic(text: str) -> str:
    """The Alt-key letter of a menu text ("Dupl&icate" → "i"), "" without one ("&&" is a literal &)."""
    index = 0
    while True:
        index = text.find("&", index)
        if index < 0 or index + 1 >= len(text):
            return ""
        if text[index + 1] != "&":
            return text[index + 1]
        index += 2
