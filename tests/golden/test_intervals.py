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
    support_interval,
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
    # R does not cap the effective sample size at n (NCHS does: the next test)
    lo, hi = korn_graubard(r["estimate"], r["se"], r["df"], r["n"], level, cap_at_n=False)
    assert lo == pytest.approx(case["ci_low"][0], rel=1e-7), case["call"]
    assert hi == pytest.approx(case["ci_high"][0], rel=1e-7), case["call"]


@pytest.mark.parametrize("stype", ["all", "E", "H", "M"])
def test_korn_graubard_caps_the_effective_sample_size_at_n_as_nchs(stype):
    """NCHS (Parker et al. 2017; Talih's SAS macro): n_eff = min(p(1 - p)/SE^2, n), then the df
    adjustment (t(n - 1)/t(df))^2. Where p(1 - p)/SE^2 <= n the interval is R's; the high
    schools (stype H) have a design effect below 1, so there the cap binds: hand computation
    with qbeta on n_eff = n x adjustment."""
    d = _apiclus1()
    where = None if stype == "all" else d.data["stype"].eq(stype)
    r = d.proportion("ell0", where=where).iloc[0]
    p, se, df, n = r["estimate"], r["se"], r["df"], r["n"]
    raw = p * (1 - p) / se**2
    adj = (stats.t.ppf(0.025, n - 1) / stats.t.ppf(0.025, df)) ** 2
    n_eff = min(raw, n) * adj
    want = (
        stats.beta.ppf(0.025, n_eff * p, n_eff * (1 - p) + 1),
        stats.beta.ppf(0.975, n_eff * p + 1, n_eff * (1 - p)),
    )
    got = tuple(float(x) for x in korn_graubard(p, se, df, n))
    assert got == pytest.approx(want, rel=1e-12)
    uncapped = korn_graubard(p, se, df, n, cap_at_n=False)
    if raw > n:  # the cap binds: a wider interval than R's
        assert stype == "H" and got[1] - got[0] > uncapped[1] - uncapped[0]
    else:
        assert [float(x) for x in got] == pytest.approx([float(x) for x in uncapped], rel=1e-12)


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
    # an estimate of 0 with SE 0 (fewer than two distinct values): no interval, never [0, 0]
    assert np.isnan(lo[2]) and np.isnan(hi[2])
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
    t = stats.t.ppf(0.975, 30)  # the t interval of a signed quantity: estimate +- t SE
    assert res["ci_low"].tolist()[:3] == pytest.approx([0.95 - t * 0.05, -2.0, -t * 2.5])
    assert res["ci_high"].tolist()[:3] == pytest.approx([1.0, -1.95 + t * 0.075, t * 2.5])
    assert np.isnan(res.loc[3, "ci_low"]) and np.isnan(res.loc[3, "ci_high"])
    # without ranges nothing is clipped; the function itself, row-wise bounds
    same = support_intervals(out, support, level=0.95)
    assert same["ci_high"].iloc[0] == pytest.approx(0.95 + t * 0.05)
    lo, hi = clip_to_range([-3.0, 0.5], [2.0, 0.9], [-2.0, -np.inf], [1.0, np.inf])
    assert lo.tolist() == [-2.0, 0.5] and hi.tolist() == [1.0, 0.9]


def test_nchs_2017_has_no_relative_se_criterion_for_proportions():
    """Issue 23: a rare proportion with a narrow absolute interval (1.6 %, SE 0.63 points:
    relative SE 40 %) is presented by the 2017 standard; a relative-SE rule for proportions is a
    labelled deviation, off by default. Amounts keep the relative-SE rule."""
    rows = _rows([0.016, 0.016, 1_000.0], [0.0063, 0.0063, 400.0], [30] * 3, [284] * 3)
    sup = pd.Series(["proportion", "proportion", "non_negative"])
    got = precision(rows, sup, PRECISION_DEFAULTS)
    # n_eff = 0.016 x 0.984 / 0.0063^2 = 397 >= 30; Korn-Graubard width < 0.05: presented
    lo, hi = korn_graubard(0.016, 0.0063, 30, 284)
    assert hi - lo < 0.05
    assert got.loc[0, "precision"] == "" and "relative" not in got.loc[0, "precision_note"]
    assert got.loc[2, "precision"] == "low"  # an amount: RSE 40 % > 30 %
    assert "relative standard error 40 % (limit 30 %)" == got.loc[2, "precision_note"]
    dev = precision(rows, sup, PRECISION_DEFAULTS | {"relative_se_for_proportions": True})
    assert dev.loc[0, "precision"] == "low"
    assert dev.loc[0, "precision_note"] == (
        "relative standard error 39 % (limit 30 %; a deviation from the NCHS 2017 standard)"
    )


def test_a_standard_error_of_zero_is_not_estimable_except_a_proportion_at_an_edge():
    rows = _rows([0.0, 0.0, 0.4, 25_000.0], [0.0, 0.0, 0.0, 0.0], [18] * 4, [60] * 4)
    sup = pd.Series(["proportion", "non_negative", "proportion", "non_negative"])
    got = precision(rows, sup, PRECISION_DEFAULTS)
    assert got["precision"].tolist() == ["", "not estimable", "not estimable", "not estimable"]
    assert "no case observed" in got.loc[0, "precision_note"]
    assert got.loc[1, "precision_note"].startswith("standard error 0: fewer than two distinct")


def test_one_interval_rule_per_kind_of_quantity_by_hand():
    t = stats.t.ppf(0.975, 20)
    sup = ["proportion", "proportion", "non_negative", "real", "real", "non_negative"]
    est = [0.30, 0.0, 2_000.0, -0.05, 0.1, 0.0]
    se = [0.05, 0.0, 500.0, 0.02, 0.0, 0.0]
    lo, hi = support_interval(sup, est, se, [20] * 6, [100] * 6)
    # logit: expit(logit(0.3) +- t x 0.05 / (0.3 x 0.7))
    logit = np.log(0.3 / 0.7)
    half = t * 0.05 / 0.21
    assert lo[0] == pytest.approx(1 / (1 + np.exp(-(logit - half))), rel=1e-12)
    assert hi[0] == pytest.approx(1 / (1 + np.exp(-(logit + half))), rel=1e-12)
    # Korn-Graubard at 0 with n_eff = n = 100: [0, 1 - 0.025^(1/100)]
    assert lo[1] == 0 and hi[1] == pytest.approx(1 - 0.025 ** (1 / 100), rel=1e-12)
    # log: 2000 x exp(+- t x 0.25), positive
    assert (lo[2], hi[2]) == pytest.approx((2000 * np.exp(-t * 0.25), 2000 * np.exp(t * 0.25)))
    # t: signed
    assert (lo[3], hi[3]) == pytest.approx((-0.05 - t * 0.02, -0.05 + t * 0.02))
    # SE 0 of a signed or non-negative quantity: no interval (never a zero-width one)
    assert np.isnan([lo[4], hi[4], lo[5], hi[5]]).all()
    with pytest.raises(ValueError, match="unknown support"):
        support_interval(["share"], [0.1], [0.01], [10], [50])
