"""Export a project or one document as Markdown, HTML or plain text.

Output is written to a temporary file in the target folder, fsynced and
renamed over the destination, so a crash never leaves half a manuscript
where the old export was. Trashed documents are left out.
"""

from __future__ import annotations

import html
from pathlib import Path

from writer_app.atomic_write import atomic_write
from writer_app.errors import UserError
from writer_app.storage.library import Library
from writer_app.storage.markdown_io import escape_body, front_matter, heading_line
from writer_app.storage.models import Node, Project

FORMATS = ("md", "html", "txt")


def _subtree(nodes: list[Node], root_id: int | None) -> list[tuple[Node, int]]:
    """(node, depth) depth-first; ``nodes`` is already in depth-first order."""
    depth: dict[int | None, int] = {root_id: -1} if root_id is not None else {None: -1}
    out = []
    inside = root_id is None
    for node in nodes:
        if node.id == root_id:
            inside = True
            depth[node.id] = 0
            out.append((node, 0))
            continue
        if inside and node.parent_id in depth:
            depth[node.id] = depth[node.parent_id] + 1
            out.append((node, depth[node.id]))
    return out


def _markdown(lib: Library, items: list[tuple[Node, int]], project: Project, with_meta: bool) -> str:
    parts = [front_matter(project.title, project.author, project.language)] if with_meta else []
    parents = {node.parent_id for node, _ in items}
    for node, depth in items:
        parts.append(heading_line(min(depth + 1, 6), node.title, node.kind, node.id in parents) + "\n\n")
        body = lib.get_text(node.id)
        if body.strip():
            parts.append(escape_body(body).rstrip() + "\n\n")
    return "".join(parts).rstrip() + "\n"


def _plain(lib: Library, items: list[tuple[Node, int]], project: Project, with_meta: bool) -> str:
    parts = []
    if with_meta:
        parts.append(project.title + (f"\nby {project.author}" if project.author else "") + "\n\n\n")
    for node, _depth in items:
        parts.append(node.title + "\n\n")
        body = lib.get_text(node.id)
        if body.strip():
            parts.append(body.rstrip() + "\n\n\n")
    return "".join(parts).rstrip() + "\n"


def _html(lib: Library, items: list[tuple[Node, int]], project: Project, title: str) -> str:
    import markdown

    chunks = []
    for node, depth in items:
        level = min(depth + 1, 6)
        chunks.append(f"<h{level}>{html.escape(node.title)}</h{level}>")
        body = lib.get_text(node.id)
        if body.strip():
            # Escape first: a manuscript's "<" is prose, not markup.
            chunks.append(markdown.markdown(html.escape(body, quote=False)))
    author = f'\n<meta name="author" content="{html.escape(project.author)}">' if project.author else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(project.language or "en")}">\n<head>\n<meta charset="utf-8">'
        f"{author}\n<title>{html.escape(title)}</title>\n</head>\n<body>\n" + "\n".join(chunks) + "\n</body>\n</html>\n"
    )


def write_atomically(out: str | Path, content: str) -> Path:
    out = Path(out).expanduser()
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(f"the folder {folder} does not exist")
    try:
        with atomic_write(out, newline="\n") as handle:
            handle.write(content)
    except OSError as exc:
        raise UserError(f"could not write {out}: {exc.strerror or exc}") from exc
    return out


def _render(lib: Library, project: Project, items: list[tuple[Node, int]], fmt: str, title: str,
            with_meta: bool) -> str:
    if fmt == "md":
        return _markdown(lib, items, project, with_meta)
    if fmt == "txt":
        return _plain(lib, items, project, with_meta)
    if fmt == "html":
        return _html(lib, items, project, title)
    raise UserError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")


def export_project(lib: Library, project_id: int, fmt: str, out: str | Path) -> Path:
    project = lib.get_project(project_id)
    items = _subtree(lib.nodes(project_id), None)
    return write_atomically(out, _render(lib, project, items, fmt, project.title, with_meta=True))


def export_document(lib: Library, node_id: int, fmt: str, out: str | Path) -> Path:
    node = lib.get_node(node_id)
    if node.trashed:
        raise UserError(f"“{node.title}” is in the trash; restore it before exporting")
    project = lib.get_project(node.project_id)
    items = _subtree(lib.nodes(node.project_id), node_id)
    return write_atomically(out, _render(lib, project, items, fmt, node.title, with_meta=False))
