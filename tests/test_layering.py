"""The layering in docs/architecture.md, checked: ui -> training -> llm -> storage -> text.

Each import check runs in a fresh interpreter, so what this test process has
already imported cannot hide a stray import. The circle check reads every
module's imports from its syntax tree (lazy imports inside functions and
``TYPE_CHECKING`` imports count too: a circle hidden in a function is still
a circle for whoever changes either side).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "writer_app"
LAYERS = ("text", "storage", "llm", "training", "ui")  # each may import only those before it


def _modules_loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(done.stdout.splitlines()[-1]))


def _every_module(package: str) -> list[str]:
    root = PACKAGE / package
    return sorted(_name(path) for path in root.rglob("*.py"))


def _name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_storage_text_llm_and_training_never_import_qt():
    names = [n for layer in ("text", "storage", "llm", "training") for n in _every_module(layer)]
    names = [n for n in names if not n.endswith("__main__")]
    loaded = _modules_loaded_after("\n".join(f"import {n}" for n in names))
    assert not {m for m in loaded if m.split(".")[0] in ("PySide6", "shiboken6")}


def test_the_editor_imports_no_torch_when_its_modules_load():
    names = [n for n in _every_module("ui") if not n.endswith("__main__")]
    loaded = _modules_loaded_after("\n".join(f"import {n}" for n in names) + "\nimport writer_app.cli")
    assert not {m for m in loaded if m.split(".")[0] in ("torch", "transformers", "peft", "bitsandbytes")}


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The writer_app modules ``path`` imports (anywhere in it), resolved to files."""
    own = _name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    found: set[str] = set()

    def add(target: str) -> None:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != own:
            found.add(target)

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                add(full if full in modules else base)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {_name(path): path for path in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {name: _imports(path, modules) for name, path in paths.items()}


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that reach each other through imports (Tarjan's strongly connected parts)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            part = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                part.append(member)
                if member == node:
                    break
            if len(part) > 1:
                circles.append(sorted(part))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def test_no_two_modules_import_each_other():
    assert import_circles(import_graph()) == []


def test_the_circle_check_finds_a_circle():
    assert import_circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


@pytest.mark.parametrize("layer", LAYERS[:-1])
def test_no_layer_imports_one_above_it(layer):
    above = set(LAYERS[LAYERS.index(layer) + 1:])
    upward = {(module, target) for module, targets in import_graph().items() if _layer(module) == layer
              for target in targets if _layer(target) in above}
    assert upward == set()
