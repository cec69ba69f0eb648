"""Intervals that respect the support, and the NCHS precision rule (issue 13 items 5, 6).

Korn-Graubard intervals are checked against R ``svyciprop(method = "beta")`` (survey 4.1-1),
values from ``tests/fixtures/r/make_golden_numbers.R`` (``golden_numbers.json``); each case
quotes its R call. The engine's own proportion (estimate, SE, df) feeds the interval, so the
chain engine -> interval is what is compared.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from testpaths import R_FIXTURES

from hhsurvey import SurveyDesign
from hhsurvey.analysis.indicators.precision import PRECISION_DEFAULTS, support_intervals
from hhsurvey.engine.intervals import (
    clip_to_range,
    effective_sample_size,
    korn_graubard,
    log_interval,
    precision,
)

FIX = R_FIXTURES


@cache
def golden() -> dict:
    return json.loads((FIX / "golden_numbers.json").read_text())


def _apiclus1() -> SurveyDesign:
    api = pd.read_csv(FIX / "data" / "apiclus1.csv")
    api = api.assign(ell0=(api["ell"] == 0).astype(float), low=(api["api00"] < 400).astype(float))
    return SurveyDesign(api, weight="pw", psu="dnum", fpc="fpc")


@pytest.mark.parametrize("stype", ["all", "E", "H", "M"])
@pytest.mark.parametrize("level", [0.95, 0.90])
def test_korn_graubard_equals_r_svyciprop_beta(stype, level):
    """R: svyciprop(~I(ell == 0), subset(dclus1, stype == s), method = "beta", level = l)."""
    case = golden()[f"kg_{stype}_{100 * level:02.0f}"]
    d = _apiclus1()
    where = None if stype == "all" else d.data["stype"].eq(stype)
    r = d.proportion("ell0", where=where, level=level).iloc[0]
    assert r["estimate"] == pytest.approx(case["estimate"][0], rel=1e-12)
    assert r["se"] == pytest.approx(case["se"][0], rel=1e-9)
    assert (r["df"], r["n"]) == (case["df"][0], case["n"][0])
    lo, hi = korn_graubard(r["estimate"], r["se"], r["df"], r["n"], level)
    assert lo == pytest.approx(case["ci_low"][0], rel=1e-7), case["call"]
    assert hi == pytest.approx(case["ci_high"][0], rel=1e-7), case["call"]


def test_korn_graubard_at_zero_is_the_limit_case_not_a_point():
    """R's svyciprop(method="beta") gives NaN at 0 (n_eff = 0/0); the limit case (n_eff = n,
    NCHS) is c(0, qbeta(0.975, 1, n)) = 1 - 0.025^(1/n)."""
    case = golden()["kg_zero_H"]
    assert case["estimate"][0] == 0 and np.isnan(case["r_ci_high"][0] or np.nan)
    d = _apiclus1()
    r = d.proportion("low", where=d.data["stype"].eq("H")).iloc[0]
    assert r["estimate"] == 0 and r["ci_high"] == 0  # the engine's logit interval collapses
    lo, hi = korn_graubard(r["estimate"], r["se"], r["df"], r["n"])
    assert lo == 0 and hi == pytest.approx(case["ci_high"][0], rel=1e-12)
    assert hi == pytest.approx(1 - 0.025 ** (1 / 14), rel=1e-12)  # n = 14 high schools
    # and at 1, by symmetry
    lo1, hi1 = korn_graubard(1.0, 0.0, 7.0, 14.0)
    assert hi1 == 1 and lo1 == pytest.approx(0.025 ** (1 / 14), rel=1e-12)


def test_log_interval_is_positive_and_the_delta_method_on_the_log_scale():
    est, se, df = np.array([100.0, 30_000.0, 0.0]), np.array([80.0, 16_670.0, 0.0]), 18.0
    lo, hi = log_interval(est, se, np.full(3, df))
    t = stats.t.ppf(0.975, df)
    # hand: exp(log(100) -+ t x 80 / 100)
    assert lo[0] == pytest.approx(np.exp(np.log(100) - t * 0.8))
    assert hi[0] == pytest.approx(np.exp(np.log(100) + t * 0.8))
    assert (lo[:2] > 0).all() and 30_000 - t * 16_670 < 0 < lo[1]  # t interval would be < 0
    assert lo[2] == 0 and hi[2] == 0  # an estimate of 0 with SE 0: nothing observed
    assert np.isnan(log_interval(1.0, np.nan, 5.0)[0])


def _rows(est, se, df, n) -> pd.DataFrame:
    return pd.DataFrame({"estimate": est, "se": se, "df": df, "n_unweighted": n})


def test_nchs_rules_by_hand():
    rules = PRECISION_DEFAULTS
    rows = _rows(
        #   n_eff < 30 | narrow (<= 0.05) | width >= 0.30 | rel. width > 130 % | complement
        [0.50, 0.50, 0.50, 0.02, 0.985],
        [0.10, 0.005, 0.12, 0.012, 0.012],
        [18, 18, 18, 18, 18],
        [100, 300, 300, 300, 300],
    )
    got = precision(rows, pd.Series(["proportion"] * 5), rules)
    # row 0: n_eff = 0.25 / 0.01 = 25 < 30
    assert (
        got.loc[0, "precision"] == "low"
        and "effective sample size 25" in got.loc[0, "precision_note"]
    )
    # row 1: n_eff = 0.25 / 0.000025 = 10,000, capped at n = 300; KG width about 0.02
    assert got.loc[1, "precision"] == ""
    # row 2: n_eff = 17.4 -> low already for the sample size; check the width rule separately
    w = korn_graubard(0.5, 0.09, 18, 300)
    assert 0.30 <= w[1] - w[0]
    got2 = precision(_rows([0.5], [0.09], [18], [300]), pd.Series(["proportion"]), rules)
    assert got2.loc[0, "precision"] == "low" and "points wide" in got2.loc[0, "precision_note"]
    # row 3: p = 0.02, se 0.012: n_eff 136; KG width > 0.05 and > 1.3 x 0.02
    lo, hi = korn_graubard(0.02, 0.012, 18, 300)
    assert hi - lo > 0.05 and (hi - lo) / 0.02 > 1.3
    assert got.loc[3, "precision"] == "low" and "of the estimate" in got.loc[3, "precision_note"]
    # row 4: p = 0.985: the complement 0.015 carries the same width test
    lo, hi = korn_graubard(0.985, 0.012, 18, 300)
    assert hi - lo > 0.05 and (hi - lo) / 0.015 > 1.3 and (hi - lo) / 0.985 < 1.3
    assert got.loc[4, "precision"] == "low" and "complement" in got.loc[4, "precision_note"]


def test_relative_se_rule_and_reviews():
    rules = PRECISION_DEFAULTS
    rows = _rows(
        [1_000.0, 1_000.0, 0.3, 0.0], [350.0, 250.0, 0.05, 0.0], [18, 6, 18, 18], [284] * 4
    )
    sup = pd.Series(["non_negative", "non_negative", "real", "proportion"])
    got = precision(rows, sup, rules)
    assert (
        got.loc[0, "precision"] == "low"
        and "relative standard error 35 %" in got.loc[0, "precision_note"]
    )
    # 25 % is below the 30 % limit, but 6 degrees of freedom ask for a review (no flag)
    assert got.loc[1, "precision"] == "" and "6 degrees of freedom" in got.loc[1, "precision_note"]
    assert got.loc[2, "precision"] == ""  # an index: no relative-SE rule
    # an estimate of 0 among 284: n_eff = n; shown, with a note to review
    assert got.loc[3, "precision"] == "" and "no case observed" in got.loc[3, "precision_note"]


def test_effective_sample_size_is_capped_at_n():
    assert effective_sample_size(0.5, 0.001, 300) == 300
    assert effective_sample_size(0.5, 0.1, 300) == pytest.approx(25)
    assert effective_sample_size(0.0, 0.0, 42) == 42


def test_index_intervals_clipped_to_their_range_by_hand():
    """An index's t interval stops at its theoretical range (catalogue `range`); other rows
    and missing bounds are untouched. Hand values: t interval 0.95 +- 0.10 of a concentration
    index in [-1, 1] -> [0.85, 1]; Kakwani -1.95 +- 0.15 in [-2, 1] -> [-2, -1.80]."""
    out = pd.DataFrame(
        {
            "indicator": ["ci_oop", "kakwani_oop", "pp_change", "ci_care"],
            "estimate": [0.95, -1.95, 0.0, 0.2],
            "se": [0.05, 0.075, 2.5, np.nan],
            "df": [30.0, 30.0, 30.0, 30.0],
            "n_unweighted": [300, 300, 300, 300],
            "ci_low": [0.85, -2.10, -5.0, np.nan],
            "ci_high": [1.05, -1.80, 5.0, np.nan],
        }
    )
    support = pd.Series(["real"] * 4)
    ranges = pd.Series([(-1.0, 1.0), (-2.0, 1.0), np.nan, (-1.0, 1.0)])
    res = support_intervals(out, support, level=0.95, ranges=ranges)
    assert res["ci_low"].tolist()[:3] == pytest.approx([0.85, -2.0, -5.0])
    assert res["ci_high"].tolist()[:3] == pytest.approx([1.0, -1.80, 5.0])
    assert np.isnan(res.loc[3, "ci_low"]) and np.isnan(res.loc[3, "ci_high"])
    # without ranges nothing is clipped; the function itself, row-wise bounds
    same = support_intervals(out, support, level=0.95)
    assert same["ci_high"].iloc[0] == pytest.approx(1.05)
    lo, hi = clip_to_range([-3.0, 0.5], [2.0, 0.9], [-2.0, -np.inf], [1.0, np.inf])
    assert lo.tolist() == [-2.0, 0.5] and hi.tolist() == [1.0, 0.9]
