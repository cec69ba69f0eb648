"""Golden tests of the results object (``SurveyDesign.estimate`` -> ``Estimate``) and of the
change between rounds as one stacked design, against R's survey package (R 4.2.2, survey 4.1-1).

Values come from ``tests/fixtures/r/make_golden_estimate.R`` (``golden_estimate.json``) on the
two-round fixture it generates (``tests/fixtures/r/data/rounds.csv``). Each test quotes the R
call. Tolerances: 1e-9 relative on estimates, 1e-8 on covariances and SEs, df exact.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pandas as pd
import pytest
from testpaths import R_FIXTURES

from hhsurvey.analysis.change import change_table
from hhsurvey.catalogue.model import Indicator
from hhsurvey.engine.design import SurveyDesign
from hhsurvey.engine.results import stack

FIX = R_FIXTURES


@cache
def golden() -> dict:
    return json.loads((FIX / "golden_estimate.json").read_text())


@cache
def _rounds() -> pd.DataFrame:
    return pd.read_csv(FIX / "data" / "rounds.csv")


def round_data(name: str) -> pd.DataFrame:
    return _rounds().query("round == @name").reset_index(drop=True)


def baseline_design() -> SurveyDesign:
    # des <- svydesign(ids = ~village, strata = ~area, weights = ~w, data = b, nest = TRUE)
    return SurveyDesign(round_data("baseline"), weight="w", strata="area", psu="village")


def check_vcov(got_est: np.ndarray, got_vcov: np.ndarray, case: str) -> None:
    want = golden()[case]
    np.testing.assert_allclose(got_est, want["estimate"], rtol=1e-9, err_msg=case)
    k = len(want["estimate"])
    expected = np.array(want["vcov"]).reshape(k, k, order="F")  # R's as.vector: column-major
    np.testing.assert_allclose(got_vcov, expected, rtol=1e-8, err_msg=case)


def test_vcov_of_two_means_in_one_domain():
    # vcov(svymean(~y1 + y2, subset(des, grp == 'a')))
    d = baseline_design()
    a = d.data["grp"].eq("a")
    e = stack([d.estimate("mean", "y1", where=a), d.estimate("mean", "y2", where=a)])
    check_vcov(e.estimates, e.vcov(), "vcov_mean_two_in_domain")
    # the diagonal is the estimators' own variance; the domain df is R's degf(subset(...))
    np.testing.assert_allclose(np.sqrt(np.diag(e.vcov())), e.table["se"], rtol=1e-12)
    assert (e.table["df"] == golden()["degf_domain_a"]["df"][0]).all()
    # a contrast of the two: its variance is c' V c
    c = e.contrast([1.0, -1.0]).iloc[0]
    v = golden()["vcov_mean_two_in_domain"]["vcov"]
    assert c["se"] ** 2 == pytest.approx(v[0] + v[3] - 2 * v[1], rel=1e-8)
    assert c["df"] == golden()["degf_domain_a"]["df"][0]


def test_vcov_of_two_totals_in_one_domain():
    # vcov(svytotal(~y1 + num, subset(des, grp == 'a')))
    d = baseline_design()
    a = d.data["grp"].eq("a")
    e = stack([d.estimate("total", "y1", where=a), d.estimate("total", "num", where=a)])
    check_vcov(e.estimates, e.vcov(), "vcov_total_two_in_domain")


def test_vcov_between_domains_of_a_mean():
    # vcov(svyby(~y1, ~grp, des, svymean, covmat = TRUE))
    e = baseline_design().estimate("mean", "y1", by="grp")
    check_vcov(e.estimates, e.vcov(), "vcov_mean_by_domain")


def test_vcov_between_domains_of_a_ratio():
    # vcov(svyby(~num, ~grp, denominator = ~den, des, svyratio, covmat = TRUE))
    e = baseline_design().estimate("ratio", "num", "den", by="grp")
    check_vcov(e.estimates, e.vcov(), "vcov_ratio_by_domain")


CATALOGUE = [
    Indicator(
        id="y1",
        label="y1",
        unit="x",
        unit_of_analysis="person",
        estimator="mean",
        definition="y1",
        by=("area",),
    ),
    Indicator(
        id="y2",
        label="y2",
        unit="x",
        unit_of_analysis="person",
        estimator="proportion",
        definition="y2",
        by=("area",),
    ),
    Indicator(
        id="ratio",
        label="ratio",
        unit="x",
        unit_of_analysis="person",
        estimator="ratio",
        definition="num",
        denominator="den",
        by=("area",),
    ),
]


def _indicator_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Each round's indicator table, as estimate_indicators writes it (only what change reads)."""
    d = SurveyDesign(frame, weight="weight", strata="area", psu="village")
    rows = []
    for ind in CATALOGUE:
        args = ("num", "den") if ind.estimator == "ratio" else (ind.definition,)
        fn = getattr(d, ind.estimator)
        for by in (None, "area"):
            res = fn(*args, by=by)
            rows.append(
                res.assign(
                    indicator=ind.id,
                    domain=by or "total",
                    level=res[by].astype("str") if by else "total",
                )
            )
    return pd.concat(rows, ignore_index=True)


@pytest.mark.parametrize(
    ("tag", "endline"), [("independent", "endline"), ("revisit", "endline_revisit")]
)
def test_change_equals_r_stacked_design(tag, endline):
    # both <- rounds of baseline and endline; stk <- svydesign(ids = ~village, strata = ~st
    # (round x area, independent) or ~area (revisit), weights = ~w, data = both, nest = TRUE);
    # svycontrast(svyby(~y, ~round, subset(stk, area == 'urban'), svymean, covmat = TRUE),
    # c(-1, 1)); degf(subset(stk, area == 'urban'))
    frames = {
        r: {"person": round_data(r).rename(columns={"w": "weight"})} for r in ("baseline", endline)
    }
    out = change_table(
        CATALOGUE,
        frames,
        {r: _indicator_table(f["person"]) for r, f in frames.items()},
        baseline="baseline",
        endline=endline,
        design_args={"strata": "area", "psu": "village", "lonely_psu": "fail"},
        revisited=tag == "revisit",
        by=["area"],
    ).set_index(["indicator", "level"])
    for ind in ("y1", "y2", "ratio"):
        for dom in ("total", "urban"):
            want = golden()[f"change_{tag}_{ind}_{dom}"]
            row = out.loc[(ind, dom)]
            assert row["baseline"] == pytest.approx(want["estimate"][0], rel=1e-9)
            assert row["endline"] == pytest.approx(want["estimate"][1], rel=1e-9)
            assert row["change"] == pytest.approx(want["change"][0], rel=1e-9)
            assert row["se"] == pytest.approx(want["se"][0], rel=1e-8), (ind, dom)
            assert row["df"] == want["df"][0], (ind, dom)
