"""Change between rounds: independent samples, and revisited villages (shared PSUs)."""

import numpy as np
import pandas as pd
import pytest

from hhsurvey.change import linear_scores, stacked_change
from hhsurvey.design import SurveyDesign


def round_frame(y, village, stratum, w):
    return pd.DataFrame({"area": stratum, "village": village, "weight": w, "_y": y, "_where": True})


def test_independent_rounds_add_variances_exactly():
    rng = np.random.default_rng(5)
    frames = []
    for _ in range(2):
        v = rng.integers(0, 12, size=300)
        frames.append(
            round_frame(
                (rng.random(300) < 0.3 + 0.03 * v % 4).astype(float),
                v,
                np.where(v < 5, "u", "r"),
                rng.uniform(1, 3, 300),
            )
        )
    parts, ses = [], []
    for f, sign in zip(frames, (-1, 1), strict=True):
        _, z = linear_scores(f, "weight", "proportion", np.ones(len(f), dtype=bool))
        parts.append((f, z, sign))
        ses.append(
            SurveyDesign(f, weight="weight", strata="area", psu="village")
            .proportion("_y")["se"]
            .iloc[0]
        )
    se, df = stacked_change(parts, strata="area", psu="village", revisited=False)
    assert se == pytest.approx(np.hypot(*ses), rel=1e-12)
    assert df == (12 - 2) * 2


def test_revisited_villages_by_hand():
    # Two strata with two villages each, the same villages in both rounds; one person each
    # village and round, weight 1. Means: baseline (1+3+5+7)/4 = 4, endline (2+5+6+9)/4 = 5.5.
    strata = ["a", "a", "b", "b"]
    villages = [1, 2, 3, 4]
    base = round_frame([1.0, 3.0, 5.0, 7.0], villages, strata, [1.0] * 4)
    end = round_frame([2.0, 5.0, 6.0, 9.0], villages, strata, [1.0] * 4)
    _, zb = linear_scores(base, "weight", "mean", np.ones(4, dtype=bool))
    _, ze = linear_scores(end, "weight", "mean", np.ones(4, dtype=bool))
    np.testing.assert_allclose(zb, [(1 - 4) / 4, (3 - 4) / 4, (5 - 4) / 4, (7 - 4) / 4])
    # per-village difference of influence values, then with-replacement variance in strata:
    d = ze - zb  # [(2-5.5)-(1-4), (5-5.5)-(3-4), (6-5.5)-(5-4), (9-5.5)-(7-4)] / 4
    np.testing.assert_allclose(d, np.array([-0.5, 0.5, -0.5, 0.5]) / 4)
    by_hand = sum(
        2 / (2 - 1) * ((d[i] - d[i : i + 2].mean()) ** 2 + (d[i + 1] - d[i : i + 2].mean()) ** 2)
        for i in (0, 2)
    )
    se, df = stacked_change(
        [(base, zb, -1), (end, ze, 1)], strata="area", psu="village", revisited=True
    )
    assert se**2 == pytest.approx(by_hand)  # = 4 x 2 x (1/8)^2 = 0.125
    assert by_hand == pytest.approx(0.125)
    # independent treatment ignores the strong positive covariance and is much larger
    se_ind, df_ind = stacked_change(
        [(base, zb, -1), (end, ze, 1)], strata="area", psu="village", revisited=False
    )
    var_b = (
        SurveyDesign(base, weight="weight", strata="area", psu="village").mean("_y")["se"].iloc[0]
        ** 2
    )
    var_e = (
        SurveyDesign(end, weight="weight", strata="area", psu="village").mean("_y")["se"].iloc[0]
        ** 2
    )
    assert se_ind**2 == pytest.approx(var_b + var_e)
    assert se < se_ind and (df, df_ind) == (2, 4)


def test_positive_psu_covariance_shrinks_the_se():
    rng = np.random.default_rng(11)
    n_v, per = 20, 15
    village = np.repeat(np.arange(n_v), per)
    stratum = np.where(village < 8, "u", "r")
    effect = rng.normal(0, 1, n_v)[village]  # a village effect shared by both rounds
    base = round_frame(effect + rng.normal(0, 0.5, n_v * per), village, stratum, np.ones(n_v * per))
    end = round_frame(
        0.3 + effect + rng.normal(0, 0.5, n_v * per), village, stratum, np.ones(n_v * per)
    )
    parts = []
    for f, sign in ((base, -1), (end, 1)):
        _, z = linear_scores(f, "weight", "mean", np.ones(len(f), dtype=bool))
        parts.append((f, z, sign))
    se_shared, _ = stacked_change(parts, strata="area", psu="village", revisited=True)
    se_indep, _ = stacked_change(parts, strata="area", psu="village", revisited=False)
    assert se_shared < 0.6 * se_indep


def test_ratio_scores_match_engine_se():
    rng = np.random.default_rng(2)
    v = rng.integers(0, 10, 200)
    f = round_frame(
        rng.gamma(2, 3, 200), v, np.where(v < 4, "u", "r"), rng.uniform(1, 2, 200)
    ).assign(_den=rng.gamma(3, 2, 200))
    r, z = linear_scores(f, "weight", "ratio", np.ones(200, dtype=bool))
    eng = SurveyDesign(f, weight="weight", strata="area", psu="village").ratio("_y", "_den")
    assert r == pytest.approx(eng["estimate"].iloc[0])
    se, _ = stacked_change([(f, z, 1)], strata="area", psu="village", revisited=False)
    assert se == pytest.approx(eng["se"].iloc[0], rel=1e-10)


def test_difference_in_differences_by_hand():
    from hhsurvey.change import did_row
    from hhsurvey.indicators import Indicator

    rng = np.random.default_rng(9)
    prepared = {}
    ses = []
    means = {}
    for r, shift in (("b", 0.0), ("e", 1.0)):
        v = rng.integers(0, 12, 400)
        area = np.where(v < 6, "T", "C")
        y = rng.normal(2, 1, 400) + shift * (area == "T") + 0.3 * shift
        f = round_frame(y, v, area, rng.uniform(1, 2, 400))
        prepared[r] = (f, "weight")
        res = SurveyDesign(f, weight="weight", strata="area", psu="village").mean("_y", by="area")
        for row in res.itertuples():
            means[(r, row.area)] = row.estimate
            ses.append(row.se)
    ind = Indicator(
        id="x", label="x", unit="rate", unit_of_analysis="person", estimator="mean", definition="x"
    )
    row = did_row(
        ind,
        prepared,
        baseline="b",
        endline="e",
        column="area",
        treated="T",
        comparison="C",
        design_args={"strata": "area", "psu": "village"},
        revisited=False,
        level=0.95,
    )
    did = (means[("e", "T")] - means[("b", "T")]) - (means[("e", "C")] - means[("b", "C")])
    assert row["change"] == pytest.approx(did, rel=1e-12)
    # treated and comparison areas are separate strata and rounds are independent: the four
    # domain variances add up
    assert row["se"] == pytest.approx(np.sqrt(np.sum(np.square(ses))), rel=1e-10)
    assert row["ci_low"] < 1.0 < row["ci_high"]  # the simulated effect is 1
