"""The house rules of ``changji`` (docs/architecture.md, "One house, three rooms"), checked over the source.

- A module that declares ``__pure__ = True`` imports no Django, directly or through anything it
  imports: the protocol codecs, the rules and the calendars run and are tested without settings.
- The import graph of ``changji`` modules has no cycles, counting imports inside functions too.
- An import inside a function says why in a comment on it (``# deferred: …``); everything else imports at
  the top, so a module's dependencies are read in one place.
- Apps import ``core``, never each other's internals.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

#: Subprocesses of a bare Python on the source tree: no database is involved (tests/conftest.py).
pytestmark = pytest.mark.database_independent

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "changji"
APPS = ("water", "services", "community")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "migrations" not in p.parts}


@cache
def tree(name: str) -> ast.Module:
    return ast.parse(modules()[name].read_text(), filename=str(modules()[name]))


def is_pure(name: str) -> bool:
    return any(
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__pure__" for t in node.targets)
        and isinstance(node.value, ast.Constant) and node.value.value is True
        for node in tree(name).body
    )


def imported(name: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The ``changji`` modules an import statement loads (a from-import of a submodule names it)."""
    known = modules()
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name in known]
    base = node.module or ""
    if node.level:
        anchor = name.split(".") if modules()[name].name == "__init__.py" else name.split(".")[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, base] if base else anchor)
    found = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in known]
    if base in known and len(found) < len(node.names):
        found.append(base)
    return found


def nested_imports(name: str) -> list[ast.Import | ast.ImportFrom]:
    nested = []
    for node in ast.walk(tree(name)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    nested.append(inner)
    return nested


@cache
def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for name in modules():
        targets: set[str] = set()
        for node in ast.walk(tree(name)):
            if isinstance(node, ast.Import | ast.ImportFrom):
                if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                    continue
                targets.update(t for t in imported(name, node) if t != name)
        edges[name] = targets
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_has_no_cycles():
    assert cycles(graph()) == []


def test_imports_inside_functions_say_why():
    undocumented = []
    for name, path in modules().items():
        lines = path.read_text().splitlines()
        for node in nested_imports(name):
            statement = lines[node.lineno - 1 : node.end_lineno]
            if not any("# deferred:" in line for line in statement):
                undocumented.append(f"{path.relative_to(SRC)}:{node.lineno}: {statement[0].strip()}")
    assert undocumented == []


def test_apps_import_core_not_each_other():
    crossing = [
        f"{name} -> {target}"
        for name, targets in graph().items()
        for target in targets
        for app in APPS
        if name.startswith(f"changji.{app}.") and target.split(".")[1] in APPS and target.split(".")[1] != app
    ]
    assert crossing == []


def test_the_pure_marker_is_found():
    pure = {name for name in modules() if is_pure(name)}
    assert {"changji.core.localtime", "changji.water.usage.registers", "changji.water.alarms.rules"} <= pure
    assert "changji.water.gateway.storage" not in pure


@pytest.mark.parametrize("name", sorted(name for name in modules() if is_pure(name)))
def test_a_pure_module_imports_no_django(name):
    code = (
        f"import sys, importlib; importlib.import_module({name!r}); "
        "print(sorted(n for n in sys.modules if n == 'django' or n.startswith('django.')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={"PYTHONPATH": str(SRC), "PATH": ""})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"{name} imports Django"
