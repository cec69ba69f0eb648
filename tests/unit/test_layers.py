"""The library's layers, and the imports allowed between them (README "Architecture").

Every ``import hhsurvey.x`` / ``from hhsurvey.x import ...`` of ``scripts/hhsurvey`` and of the
rule scripts is read with ``ast`` (module level, inside functions and under ``TYPE_CHECKING``
alike). Three rules:

* a module of one layer imports only the layers :data:`ALLOWED` lists for it (modules of its
  own layer are always allowed);
* the graph between library modules has no cycle;
* no module imports a private name (``_x``) of another.

Each rule is shown to fail on a planted violation.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from testpaths import REPO

LIB = REPO / "scripts" / "hhsurvey"

#: Layer of each top-level part of the package (a subpackage, or a module at the top).
LAYER_OF = {
    "cells": "base",
    "errors": "base",
    "paths": "base",
    "yamlsafe": "base",
    "engine": "engine",
    "catalogue": "catalogue",
    "survey": "survey",
    "prepare": "prepare",
    "analysis": "analysis",
    "outputs": "outputs",
    "simulate": "simulate",
    "cli": "entry",
    "cluster": "entry",
    "__main__": "entry",
    "__init__": "entry",
}

#: Layers each layer may import, besides its own. Entries with a dot name one module of a layer
#: (outputs read the engine's column vocabulary, never its design objects).
ALLOWED: dict[str, set[str]] = {
    "base": set(),
    "engine": {"base"},
    "catalogue": {"base"},
    "survey": {"base"},
    "prepare": {"base", "survey", "catalogue"},
    "analysis": {"base", "engine", "catalogue", "survey", "prepare"},
    "outputs": {"base", "catalogue", "survey", "prepare", "engine.columns"},
    "simulate": {"base"},
    "entry": {
        "base",
        "engine",
        "catalogue",
        "survey",
        "prepare",
        "analysis",
        "outputs",
        "simulate",
    },
    # the rule scripts (scripts/*.py): thin, they may call any layer
    "script": {
        "base",
        "engine",
        "catalogue",
        "survey",
        "prepare",
        "analysis",
        "outputs",
        "simulate",
        "entry",
    },
}

#: Imports that break the table today, each with the change that removes it. Empty is the goal.
KNOWN: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    """Dotted name of a library file below ``hhsurvey`` (``outputs.report.build``)."""
    rel = path.relative_to(LIB).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def library_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(LIB.rglob("*.py"))}


def imports(path: Path, modules: dict[str, Path]) -> list[tuple[str, list[str], int]]:
    """(imported library module, names taken from it, line) for every import in a file; a name
    that is itself a submodule (``from hhsurvey.outputs import i18n``) counts as that module."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "hhsurvey":
                continue
            base = node.module.split(".", 1)[1] if "." in node.module else ""
            names = []
            for a in node.names:
                sub = f"{base}.{a.name}" if base else a.name
                if sub in modules:
                    out.append((sub, [], node.lineno))
                else:
                    names.append(a.name)
            if names:
                out.append((base or "__init__", names, node.lineno))
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("hhsurvey."):
                    out.append((a.name.split(".", 1)[1], [], node.lineno))
    return out


def layer(module: str) -> str:
    return LAYER_OF[module.split(".")[0]]


def allowed(src_layer: str, target: str) -> bool:
    t_layer = layer(target)
    if t_layer == src_layer:
        return True
    rules = ALLOWED[src_layer]
    return t_layer in rules or any(target == r or target.startswith(r + ".") for r in rules)


def edges() -> list[tuple[str, str, str, int]]:
    """(importer, its layer, imported module, line) for the library and the rule scripts."""
    modules = library_modules()
    out = []
    for name, path in modules.items():
        for target, _, line in imports(path, modules):
            if target != name:
                out.append((name, layer(name), target, line))
    for path in sorted((REPO / "scripts").glob("*.py")):
        for target, _, line in imports(path, modules):
            out.append((f"scripts/{path.name}", "script", target, line))
    return out


def violations(es) -> list[str]:
    return [
        f"{src} ({lay}) imports {target} ({layer(target)}), line {line}"
        for src, lay, target, line in es
        if not allowed(lay, target) and (src, target) not in KNOWN
    ]


def graph() -> dict[str, set[str]]:
    g: dict[str, set[str]] = {m: set() for m in library_modules()}
    for src, lay, target, _ in edges():
        if lay != "script" and target in g:
            g[src].add(target)
    return g


def find_cycle(g: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph as a path, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for t in sorted(g[m]):
            if state.get(t) == 1:
                return [*stack[stack.index(t) :], t]
            if t not in state and (c := visit(t)):
                return c
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(g):
        if m not in state and (c := visit(m)):
            return c
    return None


def test_every_part_of_the_package_has_a_layer():
    assert {m.split(".")[0] for m in library_modules()} <= set(LAYER_OF)


def test_imports_follow_the_layer_table():
    assert violations(edges()) == []


def test_a_planted_forbidden_import_is_caught():
    """The engine importing the analysis layer, and an output importing the engine's design."""
    planted = [
        ("engine.kernels", "engine", "analysis.change", 1),
        ("outputs.brief.build", "outputs", "engine.design", 1),
    ]
    assert len(violations(planted)) == 2
    # and what the table allows passes
    assert violations([("analysis.change", "analysis", "engine.design", 1)]) == []


def test_the_known_exceptions_are_still_needed():
    """An exception that no longer occurs is removed from KNOWN (so the table only tightens)."""
    present = {(src, target) for src, _, target, _ in edges()}
    assert KNOWN <= present, KNOWN - present


def test_the_library_import_graph_has_no_cycle():
    g = graph()
    assert find_cycle(g) is None, f"import cycle: {' -> '.join(find_cycle(g))}"


def test_the_cycle_finder_finds_a_planted_cycle():
    g = graph()
    g["engine.kernels"] = g["engine.kernels"] | {"engine.design"}
    assert "engine.kernels" in g["engine.design"] or find_cycle(g) is not None
    g2 = {"a": {"b"}, "b": {"c"}, "c": {"a"}}
    assert find_cycle(g2) == ["a", "b", "c", "a"]


@pytest.mark.parametrize(
    "path",
    sorted([*LIB.rglob("*.py"), *(REPO / "scripts").glob("*.py")]),
    ids=lambda p: p.relative_to(REPO).as_posix(),
)
def test_no_module_imports_private_names_of_another(path):
    modules = library_modules()
    bad = [
        f"line {line}: from hhsurvey.{target} import {name}"
        for target, names, line in imports(path, modules)
        for name in names
        if name.startswith("_")
    ]
    assert bad == []
