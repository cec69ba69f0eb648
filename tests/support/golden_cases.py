"""Golden cases written by the R scripts of ``tests/fixtures/r/`` and how tests compare them.

Each R script writes a JSON file of cases ``{id: {"call": <the R call>, <column>: [values]}}``
(numbers printed with ``%.17g``, ``null`` for NA). :func:`check` compares an engine table with a
case column by column: estimates to 1e-9 relative, SEs, intervals and deff to 1e-6, df exactly.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pandas as pd
from testpaths import R_FIXTURES, SURVEYS

EST_RTOL = 1e-9
SE_RTOL = 1e-6
COLUMNS = ("estimate", "se", "ci_low", "ci_high", "df", "deff")


@cache
def golden(name: str) -> dict:
    """The cases of ``tests/fixtures/r/<name>.json``."""
    return json.loads((R_FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@cache
def _survey(name: str) -> pd.DataFrame:
    return pd.read_csv(SURVEYS / f"{name}.csv.gz")


def survey(name: str) -> pd.DataFrame:
    """A copy of the real survey ``tests/fixtures/surveys/<name>.csv.gz``."""
    return _survey(name).copy()


def values(case: dict, col: str) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in case[col]], dtype=np.float64)


def check(got: pd.DataFrame, case: dict, cols: tuple[str, ...] = COLUMNS, label: str = "") -> None:
    """Every column of ``cols`` that the case holds equals the engine's, within tolerance.

    deff: compared where R gives one (NA where R gives none, e.g. without ``deff=TRUE``).
    """
    for col in cols:
        if col not in case:
            continue
        want = values(case, col)
        actual = got[col].to_numpy(dtype=np.float64)
        if col == "df" and want.shape == (1,):
            want = np.repeat(want, len(actual))
        assert actual.shape == want.shape, f"{label}.{col}: shape {actual.shape} != {want.shape}"
        if col == "df":
            np.testing.assert_array_equal(actual, want, err_msg=f"{label}.{col}")
            continue
        if col == "deff":
            keep = ~np.isnan(want)
            actual, want = actual[keep], want[keep]
        rtol = EST_RTOL if col == "estimate" else SE_RTOL
        np.testing.assert_allclose(actual, want, rtol=rtol, atol=0, err_msg=f"{label}.{col}")
