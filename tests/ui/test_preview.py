"""The Markdown preview renders off the GUI thread, and a very long document around the cursor."""

from __future__ import annotations

import threading

from writer_app.ui import preview as preview_module
from writer_app.ui.preview import PREVIEW_MAX_CHARS, excerpt_around


def test_markdown_is_rendered_off_the_gui_thread(qtbot, main_window, monkeypatch):
    window = main_window
    threads = []
    real = preview_module.render_preview

    def spy(text, note=""):
        threads.append(threading.current_thread())
        return real(text, note)

    monkeypatch.setattr(preview_module, "render_preview", spy)
    window.show()
    window.preview_dock.show()
    window.preview_dock.raise_()
    window.editor.setPlainText("# Arrival\n\nShe *came* home.")
    window.preview.render_now()
    qtbot.waitUntil(lambda: "Arrival" in window.preview.toPlainText(), timeout=5000)
    assert threads and all(t is not threading.main_thread() for t in threads)


def test_only_the_newest_render_is_shown(qtbot, main_window):
    window = main_window
    window.show()
    window.preview_dock.show()
    for n in range(5):
        window.editor.setPlainText(f"# Version {n}")
        window.preview.render_now()
    qtbot.waitUntil(lambda: "Version 4" in window.preview.toPlainText(), timeout=5000)
    qtbot.wait(100)
    assert "Version 4" in window.preview.toPlainText()


def test_a_long_document_is_previewed_around_the_cursor():
    paragraphs = [f"Paragraph {i} " + "word " * 40 for i in range(2000)]
    text = "\n\n".join(paragraphs)
    middle = text.index("Paragraph 1000 ")
    part, note = excerpt_around(text, middle)
    assert "Paragraph 1000 " in part and len(part) <= PREVIEW_MAX_CHARS and note
    assert part.startswith("Paragraph ") and part in text  # whole paragraphs, verbatim
    assert excerpt_around("short", 0) == ("short", "")
