"""The README's estimation-engine example runs as written on a fresh run of the workflow.

Issue 3 asks for the API to be documented "with a runnable example in the README": the code
block of the section "Estimation engine" is executed statement by statement in a copy of the
repository where the demo workflow has run, and what each expression returns is checked.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from testpaths import REPO

from hhsurvey.engine.results import OUTPUT_COLUMNS

ROOT = REPO

pytestmark = pytest.mark.slow


def engine_example(readme: str) -> str:
    """The python code blocks of the README section '## Estimation engine'."""
    section = re.search(r"^## Estimation engine\n(.*?)(?=^## )", readme, re.M | re.S)
    assert section, "README has no '## Estimation engine' section"
    blocks = re.findall(r"^```python\n(.*?)^```", section.group(1), re.M | re.S)
    assert blocks, "the README's engine section has no python block"
    return "\n".join(blocks)


def run_statements(code: str, cwd: Path) -> list[tuple[str, object]]:
    """Execute code in cwd; return (source, value) of every top-level expression."""
    tree = ast.parse(code)
    ns: dict[str, object] = {}
    values = []
    old = Path.cwd()
    os.chdir(cwd)
    try:
        for node in tree.body:
            src = ast.get_source_segment(code, node) or ""
            if isinstance(node, ast.Expr):
                values.append(
                    (src, eval(compile(ast.Expression(node.value), "README", "eval"), ns))
                )
            else:
                exec(compile(ast.Module([node], type_ignores=[]), "README", "exec"), ns)
    finally:
        os.chdir(old)
    return values


def test_engine_example_runs_and_returns_tidy_tables(demo_run: Path) -> None:
    values = dict(run_statements(engine_example((ROOT / "README.md").read_text()), demo_run))
    for src, value in values.items():
        if src.startswith("d.describe()"):
            assert list(value.columns[:3]) == ["stratum", "n_psu", "n"], src
            assert sorted(value["stratum"]) == ["rural", "urban"], src
            assert value["n_psu"].sum() == 20, src
        elif isinstance(value, pd.DataFrame) and "term" in value.columns:  # a regression
            assert value["term"].iloc[0] == "(Intercept)" and (value["se"] > 0).all(), src
            assert (value["ci_low"] < value["ci_high"]).all(), src
        elif isinstance(value, pd.DataFrame) and "test" in value.columns:  # Rao-Scott tests
            assert value["test"].tolist() == ["F", "Chisq"], src
            assert value["p_value"].between(0, 1).all() and (value["ndf"] > 0).all(), src
        elif isinstance(value, pd.DataFrame):
            assert [c for c in value.columns if c in OUTPUT_COLUMNS] == list(OUTPUT_COLUMNS), src
            assert len(value) >= 1 and value["estimate"].notna().all(), src
            assert (value["se"] > 0).all() and (value["ci_low"] < value["ci_high"]).all(), src
        elif isinstance(value, np.ndarray):  # a covariance matrix of estimates
            assert value.ndim == 2 and value.shape[0] == value.shape[1], src
            np.testing.assert_allclose(value, value.T, err_msg=src)
            assert (np.diag(value) > 0).all(), src
        else:  # the replicate SE of a composite statistic
            assert isinstance(value, float) and np.isfinite(value) and value > 0, src
    # every level in one call: the five quintiles' shares in each area add up to 1
    shares = values['d.categorical("quintile", by="area")']
    assert shares.groupby("area")["estimate"].sum().round(12).tolist() == [1.0, 1.0]
    # Stata's convention: the same estimate (no village lacks OOP), the design df
    stata = values[
        'SurveyDesign(df, weight="weight", strata="area", psu="village", convention="stata")'
        '.mean("oop")'
    ]
    assert stata["estimate"].iloc[0] == values['d.mean("oop")']["estimate"].iloc[0]
    assert stata["df"].iloc[0] == 18
    by_quintile = values['d.mean("oop", by="quintile")']
    assert by_quintile["quintile"].tolist() == [1, 2, 3, 4, 5]
    female = values['d.mean("oop", where=df["head_sex"].eq("female"))']
    assert 0 < female["n"].iloc[0] < values['d.mean("oop")']["n"].iloc[0]
    # post-stratified: the weighted households equal the census counts of the example
    assert values['d.poststratify(census).total("hhsize")']["n_weighted"].iloc[0] == pytest.approx(
        10300.0
    )
    share = values["rep.estimate_statistic(top10_share)"]
    assert 0.1 < share["estimate"].iloc[0] < 1.0
    by_area = values['rep.estimate_statistic(top10_share, by="area")']
    assert (
        sorted(by_area["area"]) == ["rural", "urban"]
        and (by_area["df"] < share["df"].iloc[0]).all()
    )
    # results object: its table is the estimator's, its vcov's diagonal the squared SEs
    means = values["e.table"]
    vc = values["e.vcov()"]
    np.testing.assert_allclose(np.sqrt(np.diag(vc)), means["se"], rtol=1e-12)
    diff = values["e.contrast([1, -1])"]
    assert diff["estimate"].iloc[0] == pytest.approx(
        means["estimate"].iloc[0] - means["estimate"].iloc[1]
    )
    assert diff["se"].iloc[0] ** 2 == pytest.approx(vc[0, 0] + vc[1, 1] - 2 * vc[0, 1])
