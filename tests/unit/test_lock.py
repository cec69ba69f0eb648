"""Every third-party module the library, the rules and the tests import is pinned in the lock.

`make` installs `envs/requirements.lock` into a fresh venv; a package that is only in a
developer's venv passes every local run and fails CI on a clean checkout (pypdf did). The
modules are found by parsing the imports (ast), mapped to their distributions with
importlib.metadata, and looked up in the lock. The benchmarks are left out: samplics and svy are
installed by hand for them (benchmarks/README.md).
"""

from __future__ import annotations

import ast
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("scripts", "tests", "workflow")
LOCAL = {"hhsurvey", "tests", "support", "conftest"}


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _locked() -> set[str]:
    lines = (ROOT / "envs" / "requirements.lock").read_text(encoding="utf-8").splitlines()
    return {
        _canonical(line.split("==")[0].strip())
        for line in lines
        if line.strip() and not line.startswith("#")
    }


def _imported() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], path)
    return found


def _third_party(modules: dict[str, Path]) -> dict[str, Path]:
    local = LOCAL | {p.stem for folder in SCANNED for p in (ROOT / folder).rglob("*.py")}
    return {
        name: path
        for name, path in modules.items()
        if name not in sys.stdlib_module_names and name not in local and name != "__future__"
    }


def test_the_scan_sees_known_imports():
    modules = _third_party(_imported())
    assert {"pandas", "numpy", "snakemake", "pytest", "pypdf"} <= set(modules)


def test_every_imported_package_is_in_the_lock():
    distributions = packages_distributions()
    locked = _locked()
    missing = []
    for module, path in sorted(_third_party(_imported()).items()):
        providers = distributions.get(module)
        if not providers:
            missing.append(f"{module} (imported by {path.relative_to(ROOT)}): not installed")
            continue
        if not any(_canonical(p) in locked for p in providers):
            missing.append(
                f"{module} (imported by {path.relative_to(ROOT)}): "
                f"distribution {providers} not in envs/requirements.lock"
            )
    assert not missing, (
        "add to pyproject.toml and envs/requirements.lock (make lock):\n" + "\n".join(missing)
    )
