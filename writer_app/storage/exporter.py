"""Export a project, one document or a selection of documents as Markdown, HTML or plain text.

The target is checked first (:mod:`writer_app.storage.export_target`): never
one of the profile's own files, never a link, device, pipe or folder, and an
existing file only with the author's consent. Output is written to a
temporary file in the target folder, fsynced and renamed over the
destination, so a crash or a full disk never leaves half a manuscript where
the old export was, nor a stray temporary. HTML goes through the same safe
renderer as the Preview. Trashed documents are left out.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from writer_app.atomic_write import atomic_write
from writer_app.errors import UserError
from writer_app.paths import ProfilePaths
from writer_app.storage.export_target import Protected, TargetExists, check_target
from writer_app.storage.html_render import ManuscriptRenderer
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
    renderer = ManuscriptRenderer()
    chunks = []
    for node, depth in items:
        level = min(depth + 1, 6)
        chunks.append(f"<h{level}>{html.escape(node.title)}</h{level}>")
        body = lib.get_text(node.id)
        if body.strip():
            chunks.append(renderer.render(body))
    author = f'\n<meta name="author" content="{html.escape(project.author)}">' if project.author else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(project.language or "en")}">\n<head>\n<meta charset="utf-8">'
        f"{author}\n<title>{html.escape(title)}</title>\n</head>\n<body>\n" + "\n".join(chunks) + "\n</body>\n</html>\n"
    )


def write_atomically(out: str | os.PathLike[str], content: str, *, overwrite: bool = False) -> Path:
    """Write ``content`` to ``out`` whole or not at all; one-line UserError otherwise.

    Without ``overwrite`` a file that appeared at ``out`` meanwhile is left alone.
    """
    out = Path(out)
    existed = out.exists()
    try:
        with atomic_write(out, newline="\n", replace=overwrite) as handle:
            handle.write(content)
    except FileExistsError as exc:
        raise TargetExists(out) from exc
    except OSError as exc:
        kept = "; the file already there is unchanged" if existed else ""
        raise UserError(f"could not write {out}: {exc.strerror or exc}{kept}") from exc
    return out


def _target(lib: Library, fmt: str, out: str | os.PathLike[str], overwrite: bool,
            profile: ProfilePaths | None) -> Path:
    if fmt not in FORMATS:
        raise UserError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    protected = Protected.for_library(lib.path)
    if profile is not None:
        protected = protected + Protected.for_profile(profile)
    return check_target(out, protected, overwrite=overwrite)


def _render(lib: Library, project: Project, items: list[tuple[Node, int]], fmt: str, title: str,
            with_meta: bool) -> str:
    if fmt == "md":
        return _markdown(lib, items, project, with_meta)
    if fmt == "txt":
        return _plain(lib, items, project, with_meta)
    if fmt == "html":
        return _html(lib, items, project, title)
    raise UserError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")


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
    return write_atomically(target, _render(lib, project, items, fmt, project.title, with_meta=True),
                            overwrite=overwrite)


def export_document(lib: Library, node_id: int, fmt: str, out: str | os.PathLike[str], *,
                    overwrite: bool = False, profile: ProfilePaths | None = None) -> Path:
    """Write one document (a folder with everything under it) to ``out``; see :func:`export_project`."""
    node = lib.get_node(node_id)
    if node.trashed:
        raise UserError(f"“{node.title}” is in the trash; restore it before exporting")
    target = _target(lib, fmt, out, overwrite, profile)
    project = lib.get_project(node.project_id)
    items = _subtree(lib.nodes(node.project_id), node_id)
    return write_atomically(target, _render(lib, project, items, fmt, node.title, with_meta=False),
                            overwrite=overwrite)


def export_documents(lib: Library, node_ids: list[int] | tuple[int, ...], fmt: str, out: str | os.PathLike[str],
                     *, overwrite: bool = False, profile: ProfilePaths | None = None) -> Path:
    """Write a selection of documents of one project to ``out``: each with everything under it,
    in binder order whatever order they were chosen in, a document inside another chosen one
    only once. A trashed document is refused; see :func:`export_project` for the rest."""
    if not node_ids:
        raise UserError("choose at least one document to export")
    chosen = [lib.get_node(node_id) for node_id in dict.fromkeys(node_ids)]
    trashed = next((node for node in chosen if node.trashed), None)
    if trashed is not None:
        raise UserError(f"“{trashed.title}” is in the trash; restore it before exporting")
    if len({node.project_id for node in chosen}) > 1:
        raise UserError("the documents to export must come from one project")
    target = _target(lib, fmt, out, overwrite, profile)
    project = lib.get_project(chosen[0].project_id)
    wanted = {node.id for node in chosen}
    depth: dict[int, int] = {}
    items: list[tuple[Node, int]] = []
    for node in lib.nodes(project.id):  # depth-first: a parent comes before its children
        if node.parent_id in depth:
            depth[node.id] = depth[node.parent_id] + 1
        elif node.id in wanted:
            depth[node.id] = 0
        else:
            continue
        items.append((node, depth[node.id]))
    roots = [node for node, level in items if level == 0]
    title = roots[0].title if len(roots) == 1 else project.title
    return write_atomically(target, _render(lib, project, items, fmt, title, with_meta=False),
                            overwrite=overwrite)
