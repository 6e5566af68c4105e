"""EPUB 3 (with an EPUB 2 NCX for older readers), written with ebooklib.

One XHTML file per chapter (every document that :mod:`.book` says begins a
chapter: a top-level document, a folder, a chapter); scenes and notes inside a
chapter are sections of its file under their own heading. The navigation
document and the NCX list every document, nested as the binder nests them
(a part's chapters under the part), each linking to its file or to its
heading's anchor. Metadata: dc:title, dc:creator, dc:language from the project
and a dc:identifier that stays the same from one export of the project to the
next. Everything the author typed is escaped; a scene break is a centred
``#`` (class ``scene-break``), emphasis ``<em>`` and strong ``<strong>``.
The navigation document is not in the spine: a reader shows it as the
contents, and an importer reading the spine finds only the book's text.
"""

from __future__ import annotations

import html
import io
from typing import TYPE_CHECKING

from ebooklib import epub

from writer_app.storage.formats.book import Book, Entry, book_from
from writer_app.text.manuscript import Paragraph, SceneBreak

if TYPE_CHECKING:
    from writer_app.storage.library import Library
    from writer_app.storage.models import Node, Project

STYLESHEET = """\
body { margin: 0 5%; line-height: 1.5; }
h1, h2, h3, h4, h5, h6 { text-align: center; font-weight: normal; margin: 2em 0 1em; page-break-after: avoid; }
p { margin: 0; text-indent: 1.5em; }
p.scene-break { text-align: center; text-indent: 0; margin: 1em 0; }
p.byline { text-align: center; text-indent: 0; }
"""
CJK_STYLESHEET = STYLESHEET.replace("text-indent: 1.5em", "text-indent: 2em")
UNTITLED = "Untitled"


def _inline(block: Paragraph) -> str:
    parts = []
    for span in block.spans:
        text = html.escape(span.text, quote=False)
        if span.strong:
            text = f"<strong>{text}</strong>"
        if span.emphasis:
            text = f"<em>{text}</em>"
        parts.append(text)
    return "".join(parts)


def _section_html(entry: Entry) -> str:
    level = min(entry.depth + 1, 6)
    chunks = [f'<h{level} id="n{entry.node_id}">{html.escape(entry.title or UNTITLED, quote=False)}</h{level}>']
    for block in entry.blocks:
        if isinstance(block, SceneBreak):
            chunks.append('<p class="scene-break">#</p>')
        elif isinstance(block, Paragraph):
            chunks.append(f"<p>{_inline(block)}</p>")
    return "\n".join(chunks)


def _files(book: Book) -> list[tuple[Entry, list[Entry]]]:
    """The chapter files: each opening entry with the entries that run on inside it."""
    files: list[tuple[Entry, list[Entry]]] = []
    for entry in book.entries:
        if entry.starts_chapter or not files:
            files.append((entry, [entry]))
        else:
            files[-1][1].append(entry)
    return files


def _toc(book: Book, hrefs: dict[int, str]) -> list:
    """The nested table of contents: a document with children is a section holding them."""
    children: dict[int | None, list[Entry]] = {}
    exported = {entry.node_id for entry in book.entries}
    for entry in book.entries:
        parent = entry.parent_id if entry.parent_id in exported else None
        children.setdefault(parent, []).append(entry)

    def items(parent: int | None) -> list:
        out = []
        for entry in children.get(parent, []):
            title = entry.title or UNTITLED
            inner = items(entry.node_id)
            if inner:
                out.append((epub.Section(title, href=hrefs[entry.node_id]), inner))
            else:
                out.append(epub.Link(hrefs[entry.node_id], title, f"toc-n{entry.node_id}"))
        return out

    return items(None)


def write_epub(book: Book) -> bytes:
    out = epub.EpubBook()
    out.set_identifier(book.identifier)
    out.set_title(book.title or UNTITLED)
    out.set_language(book.language)
    if book.author:
        out.add_author(book.author)
    css = epub.EpubItem(uid="style", file_name="manuscript.css", media_type="text/css",
                        content=(CJK_STYLESHEET if book.cjk else STYLESHEET).encode("utf-8"))
    out.add_item(css)
    chapters, hrefs = [], {}
    for number, (opening, entries) in enumerate(_files(book), start=1):
        name = f"chapter-{number:04d}.xhtml"
        chapter = epub.EpubHtml(uid=f"chapter-{number:04d}", file_name=name, title=opening.title or UNTITLED,
                                lang=book.language)
        chapter.content = "<html><body>\n" + "\n".join(_section_html(e) for e in entries) + "\n</body></html>"
        chapter.add_item(css)
        out.add_item(chapter)
        chapters.append(chapter)
        for entry in entries:
            hrefs[entry.node_id] = name if entry is opening else f"{name}#n{entry.node_id}"
    if not chapters:
        # A package needs one document in its spine and one entry in its contents: a title page.
        chapter = epub.EpubHtml(uid="title-page", file_name="title-page.xhtml", title=book.title or UNTITLED,
                                lang=book.language)
        byline = f"<p class=\"byline\">{html.escape(book.author, quote=False)}</p>" if book.author else ""
        chapter.content = f"<html><body><h1>{html.escape(book.title or UNTITLED, quote=False)}</h1>{byline}</body></html>"
        chapter.add_item(css)
        out.add_item(chapter)
        chapters.append(chapter)
        out.toc = [epub.Link(chapter.file_name, book.title or UNTITLED, "toc-title")]
    else:
        out.toc = _toc(book, hrefs)
    out.add_item(epub.EpubNcx())
    nav = epub.EpubNav(title="Contents" if not book.cjk else "目录")
    out.add_item(nav)
    out.spine = chapters
    buffer = io.BytesIO()
    epub.write_epub(buffer, out, {"epub3_pages": False})
    return buffer.getvalue()


def render(lib: Library, project: Project, items: list[tuple[Node, int]], title: str, with_meta: bool) -> bytes:
    """The exporter's entry point: ``items`` as an .epub."""
    return write_epub(book_from(lib, project, items, title, whole_project=with_meta))
