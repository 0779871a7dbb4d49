"""The shape of the house: packages depend on each other in one direction only, and the outbox is
infrastructure that knows no area of the business.

Each area's routes (its HTTP edge) count as a layer of their own above web/, which they use and
which knows only the areas' models and services: "accounts" below, "accounts.routes" above."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "ish_portal"
# Infrastructure and pure leaves: they may be used by every area and must import none of them.
INFRASTRUCTURE = {"notifications", "audit", "text", "matching", "letters"}
AREAS = {"accounts", "programme", "labs", "nominations", "placement", "mailings", "applicants", "reports",
         "retention", "panel", "hosts", "interviews"}


def _node(parts: tuple[str, ...]) -> str | None:
    """The layer a module belongs to: its package, or the package's routes."""
    if len(parts) < 2 or not (ROOT / parts[0]).is_dir():
        return None
    return f"{parts[0]}.routes" if parts[1].endswith("routes") else parts[0]


def _package(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "ish_portal":
        return None
    return _node(tuple(parts[1:3]))


def _imports(path: Path) -> set[str]:
    """Modules imported by a file, leaving out those only needed for type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        relative = path.with_suffix("").relative_to(ROOT).parts
        source = _node(relative)
        if source is None:
            continue  # top-level modules (main, cli, db, ...) wire the packages together
        for module in _imports(path):
            target = _package(module)
            if target and target != source:
                graph.setdefault(source, set()).add(target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_architecture_packages_import_each_other_without_cycles():
    cycle = _cycle(package_graph())
    assert cycle is None, "import cycle between packages: " + " -> ".join(cycle or [])


def test_architecture_infrastructure_imports_no_area():
    graph = package_graph()
    for package in INFRASTRUCTURE:
        assert not graph.get(package, set()) & AREAS, f"{package} imports {graph[package] & AREAS}"
