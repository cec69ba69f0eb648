"""R's answers and Stata's from one engine (issue 25): the convention switch and the
``lonely_psu="collapse"`` rule, against R's survey package (R 4.2.2, survey 4.1-1) and Stata's
published NHANES II result.

Values come from ``tests/fixtures/r/make_golden_conventions.R`` (``golden_conventions.json``) on
the real data of ``tests/fixtures/surveys/`` (Stata's NHANES II, R's YRBS) and on R's apiclus1
and nhanes. ``convention="stata"`` must give what R gives on the design built from the rows
with a value (``svydesign(..., data = subset(data, !is.na(y)))``) with ``degf`` of that whole
design for every domain; ``convention="r"`` what R gives with ``na.rm=TRUE`` and
``degf(subset(design, domain))``. Each test quotes the R call.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from golden_cases import check, golden, survey
from testpaths import R_DATA

from hhsurvey import SurveyDesign


def case(name: str) -> dict:
    return golden("golden_conventions")[name]


def nhanes2(convention: str, **kw) -> SurveyDesign:
    return SurveyDesign(
        survey("nhanes2"),
        weight="finalwgt",
        strata="stratid",
        psu="psuid",
        convention=convention,
        **kw,
    )


def yrbs(convention: str, **kw) -> SurveyDesign:
    y = survey("yrbs")
    y["qn8yes"] = np.where(y["qn8"].isna(), np.nan, (y["qn8"] == 1).astype(np.float64))
    return SurveyDesign(
        y, weight="weight", strata="stratum", psu="psu", convention=convention, **kw
    )


# --------------------------------------------------------------------------- Stata's NHANES II
@pytest.mark.parametrize("convention", ["r", "stata"])
def test_stata_published_mean_zinc(convention):
    # Stata [SVY] svy: mean zinc (nhanes2, svyset psuid [pw=finalwgt], strata(stratid)):
    # Mean 87.18207, Std. err. .4944827, 31 design df. Every PSU has a zinc value, so both
    # conventions give Stata's numbers.
    row = nhanes2(convention).mean("zinc").iloc[0]
    assert round(row["estimate"], 5) == 87.18207
    assert round(row["se"], 7) == 0.4944827
    assert row["df"] == 31
    # svymean(~zinc, dnh2, na.rm=TRUE, deff=TRUE)  /  svymean(~zinc, dnh2s, deff=TRUE)
    check(nhanes2(convention).mean("zinc"), case(f"nhanes2_mean_zinc_{convention}"))


@pytest.mark.parametrize("convention", ["r", "stata"])
@pytest.mark.parametrize("estimator", ["mean", "total"])
def test_nhanes2_region_domains(convention, estimator):
    # r:     svyby(~zinc, ~region, dnh2, svymean|svytotal, na.rm=TRUE, deff=TRUE);
    #        df = degf(subset(dnh2, region==l & !is.na(zinc)))  -> 7, 8, 8, 8
    # stata: svyby(~zinc, ~region, dnh2s, svymean|svytotal, deff=TRUE); df = degf(dnh2s) -> 31
    want = case(f"nhanes2_region_svy{estimator}_{convention}")
    got = getattr(nhanes2(convention), estimator)("zinc", by="region")
    np.testing.assert_array_equal(got["region"], want["level"])
    check(got, want, label=f"{estimator}/{convention}")


def test_nhanes2_conventions_differ_only_in_df():
    r = nhanes2("r").mean("zinc", by="region")
    s = nhanes2("stata").mean("zinc", by="region")
    pd.testing.assert_series_equal(r["se"], s["se"])  # no PSU loses its zinc values
    assert r["df"].tolist() == [7, 8, 8, 8] and s["df"].tolist() == [31] * 4
    assert (s["ci_high"] - s["ci_low"] < r["ci_high"] - r["ci_low"]).all()


# --------------------------------------------------------------------------- YRBS
def test_yrbs_has_psus_without_a_value():
    # sum(tapply(yrbs$qn8, yrbs$psu, function(x) all(is.na(x)))); degf(dy); degf(dys)
    g = case("yrbs_psus")
    assert g["empty_psus"] == [2]
    assert yrbs("r").degf == g["degf"][0] == 41
    y = survey("yrbs").dropna(subset=["qn8"])
    assert SurveyDesign(y, "weight", strata="stratum", psu="psu").degf == g["degf_dropped"][0]


@pytest.mark.parametrize("convention", ["r", "stata"])
def test_yrbs_proportion_and_total(convention):
    # r:     svymean(~qn8yes, dy, na.rm=TRUE, deff=TRUE) (logit CI, df 39); svytotal(...)
    # stata: svymean(~qn8yes, dys, deff=TRUE); svytotal(~qn8yes, dys, deff=TRUE)
    d = yrbs(convention)
    check(d.proportion("qn8yes"), case(f"yrbs_prop_{convention}"), label="prop")
    check(d.total("qn8yes"), case(f"yrbs_total_{convention}"), label="total")


def test_yrbs_dropping_changes_the_se():
    # the two PSUs without a value leave their strata under "stata": SEs differ (total: -10 %)
    r, s = case("yrbs_total_r")["se"][0], case("yrbs_total_stata")["se"][0]
    assert s / r == pytest.approx(0.8959, abs=1e-4)
    got = yrbs("stata").total("qn8yes")["se"].iloc[0] / yrbs("r").total("qn8yes")["se"].iloc[0]
    assert got == pytest.approx(s / r, rel=1e-9)


@pytest.mark.parametrize("convention", ["r", "stata"])
def test_yrbs_stratum_domains(convention):
    # r:     svyby(~qn8yes, ~stratum, dy, svymean, na.rm=TRUE, deff=TRUE);
    #        df = degf(subset(dy, stratum==l & !is.na(qn8yes)))
    # stata: svyby(~qn8yes, ~stratum, dys, svymean, deff=TRUE); df = degf(dys)
    want = case(f"yrbs_stratum_mean_{convention}")
    got = yrbs(convention).mean("qn8yes", by="stratum")
    np.testing.assert_array_equal(got["stratum"], want["level"])
    check(got, want, label=convention)


def test_yrbs_ratio_stata():
    # svyratio(~qn8yes, ~weight, dys); df = degf(dys)
    check(yrbs("stata").ratio("qn8yes", "weight"), case("yrbs_ratio_stata"), ("estimate", "se"))
    assert yrbs("stata").ratio("qn8yes", "weight")["df"].iloc[0] == 39


def test_parts_of_the_convention_on_their_own():
    # missing="drop" alone: Stata's SEs, R's domain df (counted in the rows left);
    # domain_df="design" alone: R's SEs, the design df of the whole design (its PSUs without a
    # value still count: degf(dy) = 41)
    stata, r = case("yrbs_stratum_mean_stata"), case("yrbs_stratum_mean_r")
    drop = yrbs("r", missing="drop")
    assert drop.convention == "custom" and drop.domain_df == "domain"
    got = drop.mean("qn8yes", by="stratum")
    np.testing.assert_allclose(got["se"], stata["se"], rtol=1e-6)
    assert (got["df"] < 39).all()
    design_df = yrbs("r", domain_df="design").mean("qn8yes", by="stratum")
    np.testing.assert_allclose(design_df["se"], r["se"], rtol=1e-6)
    assert (design_df["df"] == case("yrbs_psus")["degf"][0]).all()


# --------------------------------------------------------------------------- lonely_psu="collapse"
def test_collapse_element_design(caplog):
    # ap: apiclus1 with one school of dnum 406 and of 815 (tests/fixtures/r/data/apiclus1_collapse.csv);
    # svymean(~api00, svydesign(id=~1, strata=~collapse_strata(dnum, snum), weights=~pw, data=ap))
    ap = pd.read_csv(R_DATA / "apiclus1_collapse.csv")
    with caplog.at_level(logging.INFO, logger="hhsurvey.engine"):
        d = SurveyDesign(ap, weight="pw", strata="dnum", lonely_psu="collapse")
    # two single strata in a row are paired (406+413); the last one joins the one before (778+815)
    assert sorted(d.describe()["stratum"]) == sorted(case("collapse_api_strata")["stratum"])
    assert d.collapsed["collapsed_into"].tolist() == ["406+413", "406+413", "778+815", "778+815"]
    assert "406+413" in caplog.text and "778+815" in caplog.text
    check(d.mean("api00"), case("collapse_api_mean"), ("estimate", "se", "ci_low", "df"))
    check(d.total("enroll"), case("collapse_api_total"), ("estimate", "se", "ci_low", "df"))


def test_collapse_cluster_design():
    # nh <- subset(nhanes, !(SDMVSTRA==83 & SDMVPSU==2)); nh$psu <- paste(SDMVSTRA, SDMVPSU);
    # svymean(~HI_CHOL, svydesign(id=~psu, strata=~collapse_strata(SDMVSTRA, psu),
    #   weights=~WTMEC2YR, data=nh), na.rm=TRUE)  (PSUs keep their own stratum's labels)
    nh = pd.read_csv(R_DATA / "nhanes.csv")
    nh = nh[~((nh["SDMVSTRA"] == 83) & (nh["SDMVPSU"] == 2))]
    d = SurveyDesign(nh, "WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU", lonely_psu="collapse")
    assert d.collapsed["collapsed_into"].unique().tolist() == ["83+84"]
    check(d.mean("HI_CHOL"), case("collapse_nhanes_mean"), ("estimate", "se", "ci_low", "df"))
    # svyby(~HI_CHOL, ~race, dnc, svymean, na.rm=TRUE)
    check(d.mean("HI_CHOL", by="race"), case("collapse_nhanes_by_race"), ("estimate", "se", "df"))
    jk = d.replicates("jkn").mean("HI_CHOL")  # replicates see the collapsed strata too
    assert jk["se"].iloc[0] == pytest.approx(case("collapse_nhanes_mean")["se"][0], rel=0.05)


# --------------------------------------------------------------------------- models
GLM_COLS = ("estimate", "se", "ci_low", "ci_high", "df", "p_value")


@pytest.mark.parametrize(
    ("name", "method", "y", "rhs"),
    [
        ("lm_nhanes2_stata", "linear", "zinc", "C(race) + C(region) + highbp"),
        ("logit_nhanes2_stata", "logistic", "highbp", "C(race) + zinc"),
    ],
)
def test_models_under_stata_test_on_the_design_df(name, method, y, rhs):
    # dzinc <- svydesign(id=~psuid, strata=~stratid, weights=~finalwgt, nest=TRUE,
    #                    data=subset(nh2, !is.na(zinc)))
    # m <- svyglm(zinc ~ factor(race) + factor(region) + highbp, design=dzinc, family=gaussian())
    #   or svyglm(highbp ~ factor(race) + zinc, design=dzinc, family=quasibinomial())
    # summary(m, df.resid=degf(dzinc)); confint(m, ddf=degf(dzinc))   -> Stata's e(df_r) = 31
    want = case(name)
    got = getattr(nhanes2("stata"), method)(y, rhs)
    assert len(got) == len(want["term"])
    check(got, want, GLM_COLS, label=name)
    # R's convention: the same coefficients and SEs, tested on the residual df (31 + 1 - p)
    r = getattr(nhanes2("r"), method)(y, rhs)
    np.testing.assert_allclose(r["se"], got["se"], rtol=1e-9)
    assert (r["df"] == 32 - len(got)).all() and (got["df"] == 31).all()
