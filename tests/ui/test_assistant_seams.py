"""The assistant's controller and its features talk through narrow seams (issue 12, item 4).

The controller builds and wires the features (continuation, selection tasks,
style, summaries, context menu); a feature never imports it, not even inside
a function or under ``TYPE_CHECKING``, and no two modules of the package
import each other, so each feature can be read and changed on its own. What
a feature asks of the assistant is ``ports.AssistantPort``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import writer_app.ui.assistant as package

PACKAGE = package.__name__
FOLDER = Path(package.__file__).parent
CONTROLLER = f"{PACKAGE}.controller"


def _modules() -> dict[str, Path]:
    return {PACKAGE if path.stem == "__init__" else f"{PACKAGE}.{path.stem}": path
            for path in sorted(FOLDER.glob("*.py"))}


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that ``path`` imports anywhere: top level, in functions, under TYPE_CHECKING."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package upwards
                package_parts = (name if path.stem == "__init__" else name.rpartition(".")[0]).split(".")
                anchor = ".".join(package_parts[: len(package_parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            # "from pkg import mod" imports pkg.mod when that is a module, else a name from pkg itself
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        else:
            continue
        found.update(target for target in targets if target in modules and target != name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle in ``graph`` (as a path that ends where it starts), or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = "open"
        stack.append(name)
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[name] = "done"
        return None

    for name in sorted(graph):
        if name not in state and (found := visit(name)):
            return found
    return None


def test_no_two_modules_of_the_assistant_import_each_other():
    graph = _graph()
    assert CONTROLLER in graph and f"{PACKAGE}.continuation" in graph  # the walk found the package
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_only_the_entry_point_imports_the_controller():
    importers = sorted(name for name, targets in _graph().items() if CONTROLLER in targets)
    assert importers == [PACKAGE], importers  # install(window) in __init__; the features never do


def test_the_cycle_finder_sees_a_circle_hidden_under_type_checking(tmp_path):
    """The check itself: a TYPE_CHECKING import back to the controller is a circle."""
    (tmp_path / "controller.py").write_text("from pkg.feature import Feature\n", encoding="utf-8")
    (tmp_path / "feature.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.controller import Assistant\n",
        encoding="utf-8")
    modules = {"pkg.controller": tmp_path / "controller.py", "pkg.feature": tmp_path / "feature.py"}
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert _cycle(graph) == ["pkg.controller", "pkg.feature", "pkg.controller"]
