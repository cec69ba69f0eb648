"""The library's modules import one way only (DESIGN_NOTES: svy's base -> taylor/replication).

Every ``import hhsurvey.x`` / ``from hhsurvey.x import ...`` of ``scripts/hhsurvey`` and of the
rule scripts is read with ``ast`` (module level, inside functions and under ``TYPE_CHECKING``
alike): the graph between library modules must have no cycle, and no module may import a
private name (``_x``) of another.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "scripts" / "hhsurvey"
# Private names still imported across modules, to be removed by the split of the report hub
# (DESIGN_NOTES point 4); the engine modules are not allowed any.
KNOWN_PRIVATE = {("change_report", "report")}


def imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(imported hhsurvey module, names taken from it, line) for every import in a file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "hhsurvey":
                for a in node.names:  # from hhsurvey import design
                    out.append((a.name, [], node.lineno))
            elif node.module.startswith("hhsurvey."):
                out.append((node.module.split(".")[1], [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("hhsurvey."):
                    out.append((a.name.split(".")[1], [], node.lineno))
    return out


def graph() -> dict[str, set[str]]:
    mods = {p.stem for p in LIB.glob("*.py")}
    g: dict[str, set[str]] = {m: set() for m in mods}
    for p in LIB.glob("*.py"):
        for target, _, _ in imports(p):
            if target in mods and target != p.stem:
                g[p.stem].add(target)
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


def test_the_library_import_graph_has_no_cycle():
    g = graph()
    assert {"kernels", "design", "replicates"} <= set(g)
    assert find_cycle(g) is None, f"import cycle: {' -> '.join(find_cycle(g))}"
    # the engine's layers: kernels <- replicates <- design
    assert g["kernels"] <= {"errors"}
    assert "design" not in g["replicates"] and "replicates" in g["design"]


def test_the_cycle_finder_finds_a_planted_cycle():
    g = graph()
    g["kernels"] = g["kernels"] | {"design"}
    assert find_cycle(g) is not None


@pytest.mark.parametrize(
    "path",
    sorted([*LIB.glob("*.py"), *(ROOT / "scripts").glob("*.py")]),
    ids=lambda p: p.name,
)
def test_no_module_imports_private_names_of_another(path):
    bad = [
        f"line {line}: from hhsurvey.{target} import {name}"
        for target, names, line in imports(path)
        for name in names
        if name.startswith("_") and (path.stem, target) not in KNOWN_PRIVATE
    ]
    assert bad == []
