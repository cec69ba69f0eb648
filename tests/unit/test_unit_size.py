"""No unit too long to hold in the head (issue 22): in ``scripts/hhsurvey``, no function or
method over :data:`MAX_FUNCTION` lines and no module over :data:`MAX_MODULE` lines.

Lines are counted by ``ast`` (``end_lineno - lineno + 1`` of the ``def``, decorators excluded;
a module by its physical lines). A checker that missed long units would pass anything, so it is
shown to find planted ones.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from testpaths import REPO

LIB = REPO / "scripts" / "hhsurvey"
MAX_FUNCTION = 120
MAX_MODULE = 800
#: Units allowed over the limits, each with its reason. Empty is the goal.
EXCEPTIONS: dict[str, str] = {}


def long_units(source: str, name: str) -> list[str]:
    """Functions over MAX_FUNCTION lines and the module itself if over MAX_MODULE, as text."""
    out = []
    n = len(source.splitlines())
    if n > MAX_MODULE:
        out.append(f"{name}: module of {n} lines")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION:
                out.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    return out


@pytest.mark.parametrize(
    "path", sorted(LIB.rglob("*.py")), ids=lambda p: p.relative_to(LIB).as_posix()
)
def test_no_unit_over_the_limits(path: Path):
    name = path.relative_to(LIB).as_posix()
    found = [u for u in long_units(path.read_text(encoding="utf-8"), name) if u not in EXCEPTIONS]
    assert found == []


def test_the_checker_finds_planted_long_units():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION))
    long_function = f"def f():\n{body}\n"  # MAX_FUNCTION + 1 lines with the def
    assert long_units(long_function, "m.py") == [f"m.py:1 f: {MAX_FUNCTION + 1} lines"]
    method = "class C:\n" + "\n".join("    " + line for line in long_function.splitlines())
    assert len(long_units(method, "m.py")) == 1
    short = "def f():\n" + "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION - 1))
    assert long_units(short, "m.py") == []
    assert long_units("x = 1\n" * (MAX_MODULE + 1), "m.py") == [
        f"m.py: module of {MAX_MODULE + 1} lines"
    ]
