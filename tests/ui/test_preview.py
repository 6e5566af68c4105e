"""The preview renders off the GUI thread, shows the paragraph model (each line a paragraph, indents
as indents, scene breaks centred), and a very long document around the cursor in whole lines."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt

from writer_app.text.manuscript import paragraphs
from writer_app.ui import preview as preview_module
from writer_app.ui.preview import PREVIEW_MAX_CHARS, excerpt_around, render_preview


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


CHINESE = ("\u3000\u3000却说那日，甄士隐在书房闲坐。\n\u3000\u3000至手倦抛书，伏几少憩。\n"
           "    不觉朦胧睡去，梦至一处。\n\u3000\u3000忽见那厢来了一僧一道。")


def _shown_blocks(preview):
    block, blocks = preview.document().firstBlock(), []
    while block.isValid():
        blocks.append(block)
        block = block.next()
    return blocks


def test_an_indented_chinese_chapter_previews_as_paragraphs_not_code(qtbot, main_window):
    page = render_preview(CHINESE)
    assert "<pre" not in page and "<code" not in page and page.count('<p class="indent">') == 4
    window = main_window
    window.show()
    window.preview_dock.show()
    window.editor.setPlainText(CHINESE)
    window.preview.render_now()
    qtbot.waitUntil(lambda: "忽见那厢" in window.preview.toPlainText(), timeout=5000)
    blocks = _shown_blocks(window.preview)
    assert [b.text() for b in blocks] == paragraphs(CHINESE)
    assert not any(b.blockFormat().nonBreakableLines() for b in blocks)  # what <pre> would set
    assert all(b.blockFormat().textIndent() > 0 for b in blocks)


def test_a_chapter_typed_with_enter_previews_one_paragraph_per_line(qtbot, main_window):
    window = main_window
    window.show()
    window.preview_dock.show()
    window.editor.setPlainText("She ran.\nHe *followed*.\n* * *\nThe door shut.")
    window.preview.render_now()
    qtbot.waitUntil(lambda: "The door shut." in window.preview.toPlainText(), timeout=5000)
    blocks = _shown_blocks(window.preview)
    assert [b.text() for b in blocks] == ["She ran.", "He followed.", "* * *", "The door shut."]
    assert blocks[2].blockFormat().alignment() & Qt.AlignmentFlag.AlignHCenter
    fragments = []
    it = blocks[1].begin()
    while not it.atEnd():
        fragments.append((it.fragment().text(), it.fragment().charFormat().fontItalic()))
        it += 1
    assert ("followed", True) in fragments


def test_the_excerpt_of_a_long_document_keeps_whole_lines():
    lines = [f"Line {i} " + "word " * 30 for i in range(3000)]
    lines[1500] = "The long one " + "x" * (PREVIEW_MAX_CHARS * 2)
    text = "\n".join(lines)
    part, note = excerpt_around(text, text.index("The long one") + 5)
    assert note and lines[1500] in part and part in text
    part, _ = excerpt_around(text, text.index("Line 2000 ") + 3)
    assert part.split("\n")[0] in lines and part.split("\n")[-1] in lines and len(part) <= PREVIEW_MAX_CHARS
    assert "Line 2000 " in part
