"""No import cycle among support_kit's modules: every ``import`` counts, at module level
and inside functions (an import hidden in a function is still an arrow between modules)."""

from __future__ import annotations

import ast
from pathlib import Path

import support_kit

PACKAGE = Path(support_kit.__file__).parent


def modules() -> dict[str, Path]:
    """Every module of the kit by its dotted name (a package by its ``__init__``)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The kit's modules that module ``name`` imports anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*base, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            # ``from . import rules`` imports the module rules; ``from .x import f`` module x
            targets.update(f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                           for a in node.names)
    modules_hit = set()
    for target in targets:
        while target not in known and "." in target:
            target = target.rpartition(".")[0]
        if target in known and target != name:
            modules_hit.add(target)
    return modules_hit


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_walk_sees_imports_inside_functions():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    known = modules()
    # the desk imports the report's writers inside Desk.write_report only
    assert "support_kit.report.files" in imported("support_kit.desk", known["support_kit.desk"],
                                                  known)
    assert {"support_kit.rules", "support_kit.report"} <= imported(
        "support_kit", known["support_kit"], known)


def test_no_import_cycle_among_the_kits_modules():
    known = modules()
    graph = {name: imported(name, path, known) for name, path in known.items()}
    assert len(graph) > 40 and cycles(graph) == []


def test_dates_is_a_leaf():
    """Dates and time zones depend on nothing of the kit but the column helpers (a leaf)."""
    known = modules()
    assert imported("support_kit.dates", known["support_kit.dates"], known) \
        == {"support_kit.columns"}
    assert imported("support_kit.columns", known["support_kit.columns"], known) == set()
