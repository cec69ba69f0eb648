"""Categorical variables in one call, two-way tables with the Rao-Scott tests and linear
regression (issue 25), against R's survey package (R 4.2.2, survey 4.1-1).

Values come from ``tests/fixtures/r/make_golden_tables_models.R`` (``golden_tables_models.json``)
on Stata's NHANES II (``tests/fixtures/surveys/nhanes2.csv.gz``) and R's apiclus1 and apistrat.
Each test quotes the R call. Tolerances: 1e-9 relative on estimates, 1e-6 on SEs, intervals,
deff, test statistics and p-values; df exact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from golden_cases import check, golden, survey, values
from testpaths import R_DATA

from hhsurvey import SurveyDesign


def case(name: str) -> dict:
    return golden("golden_tables_models")[name]


def nhanes2(**kw) -> SurveyDesign:
    return SurveyDesign(survey("nhanes2"), weight="finalwgt", strata="stratid", psu="psuid", **kw)


# --------------------------------------------------------------------------- categorical
@pytest.mark.parametrize(("kind", "fn"), [("proportion", "svymean"), ("total", "svytotal")])
def test_categorical_all_levels(kind, fn):
    # svymean(~factor(race), dnh2, deff=TRUE)  /  svytotal(~factor(race), dnh2, deff=TRUE)
    want = case(f"cat_race_{fn}")
    got = nhanes2().categorical("race", kind=kind)
    assert got.columns.tolist()[:2] == ["race", "estimate"]
    assert got["race"].astype(str).tolist() == want["level"]
    check(got, want, label=fn)
    if kind == "proportion":
        assert got["estimate"].sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(("kind", "fn"), [("proportion", "svymean"), ("total", "svytotal")])
def test_categorical_by_domain(kind, fn):
    # svyby(~factor(race), ~region, dnh2, svymean|svytotal, deff=TRUE); df=degf(subset(dnh2, region==l))
    want = case(f"cat_race_by_region_{fn}")
    got = nhanes2().categorical("race", by="region", kind=kind)
    assert got.columns.tolist()[:3] == ["region", "race", "estimate"]
    assert got["region"].astype(str).tolist() == want["domain"]  # one row per domain and level
    assert got["race"].astype(str).tolist() == want["level"]
    check(got, want, label=fn)


def test_categorical_missing_values():
    # svymean(~factor(diabetes), dnh2, na.rm=TRUE, deff=TRUE); df=degf(subset(dnh2, !is.na(diabetes)))
    want = case("cat_diabetes_na")
    got = nhanes2().categorical("diabetes")
    assert got["diabetes"].tolist() == [0.0, 1.0]
    check(got, want)
    assert (got["n"] == 10335).all()  # the two rows without a value are outside the domain


def test_categorical_text_levels_and_where():
    d = SurveyDesign(pd.read_csv(R_DATA / "apiclus1.csv"), weight="pw", psu="dnum", fpc="fpc")
    got = d.categorical("stype", where=d.data["sch.wide"] == "Yes")
    assert got["stype"].tolist() == ["E", "H", "M"]
    # each level is the proportion of its indicator in the domain (R svymean(~factor(stype),
    # subset(dclus1, sch.wide=="Yes")) is that too)
    ind = d.data.assign(_e=(d.data["stype"] == "E").astype(float), _yes=d.data["sch.wide"] == "Yes")
    e = SurveyDesign(ind, weight="pw", psu="dnum", fpc="fpc").proportion("_e", where="_yes")
    pd.testing.assert_frame_equal(got.iloc[[0], 1:].reset_index(drop=True), e)


# --------------------------------------------------------------------------- two-way tables
TABLES = {
    # svychisq(~race + highbp, dnh2, statistic='F' / 'Chisq'); svymean(~interaction(race, highbp), dnh2)
    "chisq_race_highbp": (lambda: nhanes2(), "race", "highbp", None),
    # svychisq(~race + highbp, subset(dnh2, region==1), statistic='F' / 'Chisq')  (nu = 7)
    "chisq_race_highbp_region1": (lambda: nhanes2(), "race", "highbp", "region1"),
    # svychisq(~sch.wide + stype, dclus1, statistic='F' / 'Chisq'), dclus1 with fpc
    "chisq_api_schwide_stype": (
        lambda: SurveyDesign(
            pd.read_csv(R_DATA / "apiclus1.csv"), weight="pw", psu="dnum", fpc="fpc"
        ),
        "sch.wide",
        "stype",
        None,
    ),
}


@pytest.mark.parametrize("name", list(TABLES))
def test_crosstab_rao_scott(name):
    make, row, col, where = TABLES[name]
    d = make()
    mask = None if where is None else d.data["region"] == 1
    tab = d.crosstab(row, col, where=mask)
    want = case(name)
    f = tab.tests.set_index("test")
    np.testing.assert_allclose(
        f.loc["F", ["statistic", "ndf", "ddf", "p_value"]].to_numpy(dtype=float),
        [want["F"][0], want["ndf"][0], want["ddf"][0], want["p_F"][0]],
        rtol=1e-6,
    )
    # R prints the uncorrected Pearson X^2 and takes the p-value of X^2 / mean(delta)
    assert f.loc["Chisq", "pearson"] == pytest.approx(want["chisq"][0], rel=1e-6)
    assert f.loc["Chisq", "ndf"] == want["df_chisq"][0]
    assert f.loc["Chisq", "p_value"] == pytest.approx(want["p_chisq"][0], rel=1e-6)
    mean_delta = f.loc["Chisq", "pearson"] / f.loc["Chisq", "statistic"]
    assert mean_delta == pytest.approx(tab.delta.mean(), rel=1e-10)
    cells = tab.table.assign(cell=tab.table[row].astype(str) + "_" + tab.table[col].astype(str))
    cells = cells.set_index("cell").loc[want["cell"]]
    np.testing.assert_allclose(cells["estimate"], values(want, "cell_estimate"), rtol=1e-9)
    np.testing.assert_allclose(cells["se"], values(want, "cell_se"), rtol=1e-6)


def test_crosstab_needs_two_levels():
    d = nhanes2()
    with pytest.raises(ValueError, match="two levels"):
        d.crosstab("race", "highbp", where=d.data["race"] == 1)


# --------------------------------------------------------------------------- linear regression
GLM_COLS = ("estimate", "se", "ci_low", "ci_high", "df", "p_value")


def test_linear_nhanes2():
    # svyglm(zinc ~ factor(race) + factor(region) + highbp, design=dnh2, family=gaussian());
    # confint(m, ddf=m$df.residual)  (rows without zinc excluded as a domain)
    got = nhanes2().linear("zinc", "C(race) + C(region) + highbp")
    want = case("lm_nhanes2")
    assert len(got) == len(want["term"]) and got["term"].iloc[0] == "(Intercept)"
    check(got, want, GLM_COLS)


def test_linear_domain():
    # svyglm(zinc ~ highbp + factor(region), design=subset(dnh2, race==1), family=gaussian())
    data = survey("nhanes2").assign(region=lambda x: x["region"].astype(str))
    d = SurveyDesign(data, weight="finalwgt", strata="stratid", psu="psuid")
    got = d.linear("zinc", ["highbp", "region"], where=d.data["race"] == 1)  # text: dummies
    assert got["term"].tolist() == ["(Intercept)", "highbp", *[f"region[T.{r}]" for r in "234"]]
    check(got, case("lm_nhanes2_race1"), GLM_COLS)


def test_linear_apistrat_list_of_columns():
    # svyglm(api00 ~ ell + meals + mobility, design=dstrat, family=gaussian()),
    # dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    d = SurveyDesign(pd.read_csv(R_DATA / "apistrat.csv"), weight="pw", strata="stype", fpc="fpc")
    got = d.linear("api00", ["ell", "meals", "mobility"])
    want = case("lm_apistrat")
    assert got["term"].tolist() == want["term"]
    check(got, want, GLM_COLS)
