"""Export a project, one document or a selection of documents (Markdown, HTML, plain text,
docx, epub, odt).

Every format reads a document's text through the paragraph model
(:func:`writer_app.text.manuscript.parse_blocks`): one stored line is one
paragraph in every format, an indent is prose, a scene-break line is a break.
A format is one function ``render(lib, project, items, title, with_meta)``
returning ``str`` (written as UTF-8 text) or ``bytes``, looked up in
:data:`FORMATS`; :func:`register_format` adds one (docx, epub and odt live in
their own modules). ``items`` are the (node, depth) pairs to write, in binder
order, depth 0 for the top of what is exported.

The target is checked first (:mod:`writer_app.storage.export_target`): never
one of the profile's own files, never a link, device, pipe or folder, and an
existing file only with the author's consent. Output is written to a
temporary file in the target folder, fsynced and renamed over the
destination, so a crash or a full disk never leaves half a manuscript where
the old export was, nor a stray temporary. Trashed documents are left out,
and asking to export one is refused. The binary formats
(:mod:`writer_app.storage.formats`) are imported only when asked for, so a
Markdown export does not load python-docx, ebooklib or odfpy.
"""

from __future__ import annotations

import importlib
import os
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

from writer_app.atomic_write import atomic_write
from writer_app.errors import UserError
from writer_app.paths import ProfilePaths
from writer_app.storage.export_target import Protected, TargetExists, check_target
from writer_app.storage.html_render import MANUSCRIPT_CSS, escape_text, render_manuscript
from writer_app.storage.library import Library
from writer_app.storage.markdown_io import front_matter, heading_line, markdown_body
from writer_app.storage.models import Node, Project
from writer_app.text.manuscript import Paragraph, Span, parse_blocks

Items = list[tuple[Node, int]]
Render = Callable[[Library, Project, Items, str, bool], "str | bytes"]


def _subtree(nodes: list[Node], root_id: int | None) -> Items:
    """(node, depth) depth-first; ``nodes`` is already in depth-first order."""
    return _selection(nodes, None if root_id is None else [root_id])


def _selection(nodes: list[Node], root_ids: Iterable[int] | None) -> Items:
    """The chosen nodes with everything under them, in binder order; a node chosen inside
    another chosen one is written once, in its place. ``None`` chooses the whole project."""
    chosen = None if root_ids is None else set(root_ids)
    depth: dict[int, int] = {}
    out = []
    for node in nodes:
        if node.parent_id is not None and node.parent_id in depth:
            depth[node.id] = depth[node.parent_id] + 1
        elif chosen is None and node.parent_id is None or chosen is not None and node.id in chosen:
            depth[node.id] = 0
        else:
            continue
        out.append((node, depth[node.id]))
    return out


# -- formats ---------------------------------------------------------------------------------------

def render_markdown(lib: Library, project: Project, items: Items, title: str, with_meta: bool) -> str:
    parts = [front_matter(project.title, project.author, project.language)] if with_meta else []
    parents = {node.parent_id for node, _ in items}
    for node, depth in items:
        parts.append(heading_line(min(depth + 1, 6), node.title, node.kind, node.id in parents) + "\n\n")
        body = markdown_body(lib.get_text(node.id))
        if body:
            parts.append(body + "\n\n")
    return "".join(parts).rstrip() + "\n"


def _width(text: str) -> int:
    """Columns ``text`` takes in a monospaced font (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _plain_span(span: Span) -> str:
    """A span as plain text shows style: ``*em*``, ``**strong**``, the words as the reader sees them."""
    text = span.text
    if not (span.emphasis or span.strong) or not text.strip():
        return text
    mark = "***" if span.emphasis and span.strong else "**" if span.strong else "*"
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()):]
    return f"{lead}{mark}{text.strip()}{mark}{trail}"


def plain_body(text: str) -> str:
    """A document as plain text: paragraphs separated by blank lines, scene breaks as ``* * *``."""
    out = []
    for block in parse_blocks(text):
        if isinstance(block, Paragraph):
            line = "".join(_plain_span(span) for span in block.spans)
            if block.indented:
                line = ("\u3000\u3000" if _width(line[:1]) == 2 else "    ") + line
            out.append(line)
        else:
            out.append("* * *")
    return "\n\n".join(out)


def render_plain(lib: Library, project: Project, items: Items, title: str, with_meta: bool) -> str:
    """Titles as Setext headings (``=`` under a top-level title, ``-`` below), which a plain-text
    importer reads back as the outline."""
    parts = []
    if with_meta:
        parts.append(project.title + (f"\nby {project.author}" if project.author else "") + "\n\n\n")
    for node, depth in items:
        underline = ("=" if depth == 0 else "-") * max(3, _width(node.title))
        parts.append(f"{node.title}\n{underline}\n\n")
        body = plain_body(lib.get_text(node.id))
        if body:
            parts.append(body + "\n\n\n")
    return "".join(parts).rstrip() + "\n"


def render_html(lib: Library, project: Project, items: Items, title: str, with_meta: bool) -> str:
    chunks = []
    for node, depth in items:
        level = min(depth + 1, 6)
        chunks.append(f"<h{level}>{escape_text(node.title)}</h{level}>")
        body = render_manuscript(lib.get_text(node.id))
        if body:
            chunks.append(body)
    author = f'\n<meta name="author" content="{escape_text(project.author, True)}">' if project.author else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{escape_text(project.language or "en", True)}">\n<head>\n<meta charset="utf-8">'
        f"{author}\n<title>{escape_text(title)}</title>\n<style>\n{MANUSCRIPT_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(chunks) + "\n</body>\n</html>\n"
    )


def _written_by(module: str) -> Render:
    """The ``render`` of ``writer_app.storage.formats.<module>``, imported on first use."""

    def render(lib: Library, project: Project, items: Items, title: str, with_meta: bool) -> str | bytes:
        return importlib.import_module(f"writer_app.storage.formats.{module}").render(
            lib, project, items, title, with_meta)

    return render


FORMATS: dict[str, Render] = {"md": render_markdown, "html": render_html, "txt": render_plain,
                              "docx": _written_by("docx_out"), "epub": _written_by("epub_out"),
                              "odt": _written_by("odt_out")}


def register_format(name: str, render: Render) -> None:
    """Make ``name`` an export format (for the modules that write docx, epub, odt)."""
    FORMATS[name] = render


# -- writing ---------------------------------------------------------------------------------------

def write_atomically(out: str | os.PathLike[str], content: str | bytes, *, overwrite: bool = False) -> Path:
    """Write ``content`` to ``out`` whole or not at all; one-line UserError otherwise.

    Without ``overwrite`` a file that appeared at ``out`` meanwhile is left alone.
    """
    out = Path(out)
    existed = out.exists()
    options = {"mode": "wb"} if isinstance(content, bytes) else {"newline": "\n"}
    try:
        with atomic_write(out, replace=overwrite, **options) as handle:
            handle.write(content)
    except FileExistsError as exc:
        raise TargetExists(out) from exc
    except OSError as exc:
        kept = "; the file already there is unchanged" if existed else ""
        raise UserError(f"could not write {out}: {exc.strerror or exc}{kept}") from exc
    return out


def _format(fmt: str) -> Render:
    render = FORMATS.get(fmt)
    if render is None:
        raise UserError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    return render


def _target(lib: Library, fmt: str, out: str | os.PathLike[str], overwrite: bool,
            profile: ProfilePaths | None) -> Path:
    _format(fmt)
    protected = Protected.for_library(lib.path)
    if profile is not None:
        protected = protected + Protected.for_profile(profile)
    return check_target(out, protected, overwrite=overwrite)


def export_project(lib: Library, project_id: int, fmt: str, out: str | os.PathLike[str], *,
                   overwrite: bool = False, profile: ProfilePaths | None = None) -> Path:
    """Write the whole project to ``out``.

    ``overwrite`` is the author's consent to replace an existing file
    (:class:`TargetExists` otherwise); ``profile`` names the folders to keep
    out of (without it only the library file and its journals are protected).
    """
    target = _target(lib, fmt, out, overwrite, profile)
    project = lib.get_project(project_id)
    items = _subtree(lib.nodes(project_id), None)
    return write_atomically(target, _format(fmt)(lib, project, items, project.title, True), overwrite=overwrite)


def export_documents(lib: Library, node_ids: Iterable[int], fmt: str, out: str | os.PathLike[str], *,
                     overwrite: bool = False, profile: ProfilePaths | None = None) -> Path:
    """Write the chosen documents (each folder with everything under it) to ``out``, in binder order.

    One document is written under its own title, as :func:`export_document`; several are written
    as a part of the project (its title and author first). A document in the trash, or documents
    from two projects, are refused before anything is written; see :func:`export_project`.
    """
    ids = list(dict.fromkeys(node_ids))
    if not ids:
        raise UserError("choose at least one document to export")
    nodes = [lib.get_node(node_id) for node_id in ids]
    for node in nodes:
        if node.trashed:
            raise UserError(f"“{node.title}” is in the trash; restore it before exporting")
    if len({node.project_id for node in nodes}) > 1:
        raise UserError("the documents to export are in different projects; export each project's on their own")
    target = _target(lib, fmt, out, overwrite, profile)
    project = lib.get_project(nodes[0].project_id)
    items = _selection(lib.nodes(project.id), ids)
    roots = [node for node, depth in items if depth == 0]
    single = len(roots) == 1
    title = roots[0].title if single else project.title
    return write_atomically(target, _format(fmt)(lib, project, items, title, not single), overwrite=overwrite)


def export_document(lib: Library, node_id: int, fmt: str, out: str | os.PathLike[str], *,
                    overwrite: bool = False, profile: ProfilePaths | None = None) -> Path:
    """Write one document (a folder with everything under it) to ``out``; see :func:`export_project`."""
    return export_documents(lib, [node_id], fmt, out, overwrite=overwrite, profile=profile)
