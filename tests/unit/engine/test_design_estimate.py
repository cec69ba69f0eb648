"""The results object (``SurveyDesign.estimate`` -> ``Estimate``) and replicate ``by=``.

R-golden values are in ``test_design_estimate_golden.py``; here each property is checked
against an independent path of the engine: the estimators' own closed-form SEs (fast PSU-total
path, general row path, calibration, fpc, lonely PSUs), hand-computed influence values, and
the closed-form replicate means.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from testpaths import R_DATA

from hhsurvey.engine.design import SurveyDesign
from hhsurvey.engine.results import stack
from hhsurvey.errors import InputError

DATA = R_DATA


def apistrat() -> pd.DataFrame:
    return pd.read_csv(DATA / "apistrat.csv").assign(
        yes=lambda d: d["sch.wide"].eq("Yes").astype("float64"),
        # a missing analysis value: excluded from numerator and denominator
        api00=lambda d: d["api00"].where(d.index != 3),
    )


def designs() -> dict[str, SurveyDesign]:
    df = apistrat()
    clus = SurveyDesign(df, weight="pw", strata="stype", psu="dnum", fpc="fpc")
    pop = pd.Series({"E": 4421.0, "H": 755.0, "M": 1018.0}).rename_axis("stype")
    one = df.assign(st=np.where(df["dnum"] == df["dnum"].iloc[0], "lonely", df["stype"]))
    one = one[(one["st"] != "lonely") | (one.index == one.index[one["st"].eq("lonely")][0])]
    return {
        "cluster_fpc": clus,
        "element": SurveyDesign(df, weight="pw", strata="stype"),
        "calibrated": clus.poststratify(pop),
        "lonely_adjust": SurveyDesign(
            one, weight="pw", strata="st", psu="dnum", lonely_psu="adjust"
        ),
    }


CASES = [
    ("mean", ("api00",)),
    ("proportion", ("yes",)),
    ("total", ("enroll",)),
    ("ratio", ("api00", "api99")),
]


@pytest.mark.parametrize("name", ["cluster_fpc", "element", "calibrated", "lonely_adjust"])
@pytest.mark.parametrize(("kind", "args"), CASES)
@pytest.mark.parametrize("by", [None, "cname", ["stype", "awards"]])
def test_vcov_diagonal_is_the_estimators_variance(name, kind, args, by):
    d = designs()[name]
    e = d.estimate(kind, *args, by=by)
    direct = getattr(d, kind)(*args, by=by)
    pd.testing.assert_frame_equal(e.table, direct)
    v = np.diag(e.vcov())
    np.testing.assert_allclose(v, direct["se"] ** 2, rtol=1e-9, atol=1e-12 * np.nanmax(v))
    # a single-row contrast is the row itself: same estimate, SE, df and interval
    j = int(np.argmax(direct["n"]))
    c = e.contrast({j: 1.0}).iloc[0]
    row = direct.iloc[j]
    assert c["estimate"] == pytest.approx(row["estimate"], rel=1e-12)
    assert c["se"] == pytest.approx(row["se"], rel=1e-9)
    assert c["df"] == row["df"]
    if kind != "proportion":  # proportions have logit intervals, contrasts t intervals
        assert c["ci_low"] == pytest.approx(row["ci_low"], rel=1e-9)


def test_influence_of_a_domain_mean_by_hand():
    df = apistrat()
    d = SurveyDesign(df, weight="pw", strata="stype", psu="dnum")
    e = d.estimate("mean", "api00", where=df["stype"].eq("H"))
    inside = df["stype"].eq("H").to_numpy() & df["api00"].notna().to_numpy()
    w, y = df["pw"].to_numpy(), df["api00"].to_numpy()
    m = (w * y)[inside].sum() / w[inside].sum()
    want = np.where(inside, w * (np.nan_to_num(y) - m) / w[inside].sum(), 0.0)
    np.testing.assert_allclose(e.influence[:, 0], want, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(e.member[:, 0], inside)


def test_stack_of_one_design_equals_stacking_its_copies_with_shared_psus():
    df = apistrat()
    d1 = SurveyDesign(df, weight="pw", strata="stype", psu="dnum")
    d2 = SurveyDesign(df, weight="pw", strata="stype", psu="dnum")
    a = stack([d1.estimate("mean", "api00"), d1.estimate("mean", "api99")])  # column-wise
    b = stack([d1.estimate("mean", "api00"), d2.estimate("mean", "api99")], shared_psus=True)
    np.testing.assert_allclose(a.vcov(), b.vcov(), rtol=1e-12)
    # independent copies: no covariance, each variance unchanged
    c = stack([d1.estimate("mean", "api00"), d2.estimate("mean", "api99")])
    assert c.vcov()[0, 1] == 0.0 and a.vcov()[0, 1] > 0
    np.testing.assert_allclose(np.diag(c.vcov()), np.diag(a.vcov()), rtol=1e-12)
    assert list(a.table["part"]) == [0, 1] and a.contrast([1, -1])["df"].iloc[0] == d1.degf


def test_lonely_psu_fail_applies_to_the_domains_that_use_the_stratum():
    df = apistrat()
    one = df[(df["stype"] != "H") | (df["dnum"] == df.loc[df["stype"] == "H", "dnum"].iloc[0])]
    d = SurveyDesign(one, weight="pw", strata="stype", psu="dnum")
    with pytest.raises(InputError, match="only one PSU"):
        d.estimate("mean", "api00", by="stype")
    e = d.estimate("mean", "api00", where=one["stype"].ne("H"))
    assert e.vcov()[0, 0] == pytest.approx(e.table["se"].iloc[0] ** 2, rel=1e-12)
    # stacked with a round whose H stratum is fine, the lonely stratum of this one still fails
    two = SurveyDesign(df, weight="pw", strata="stype", psu="dnum").estimate("mean", "api00")
    both = stack([two, d.estimate("mean", "api00", where=one["stype"].ne("H"))])
    assert np.isfinite(both.vcov()).all()
    with pytest.raises(InputError, match="only one PSU"):
        stack(
            [
                two,
                SurveyDesign(
                    one, weight="pw", strata="stype", psu="dnum", lonely_psu="remove"
                ).estimate("mean", "api00"),
            ]
        ).vcov()


def test_estimate_rejects_bad_calls():
    d = SurveyDesign(apistrat(), weight="pw", strata="stype", psu="dnum")
    with pytest.raises(ValueError, match="kind"):
        d.estimate("median", "api00")
    with pytest.raises(ValueError, match="denominator"):
        d.estimate("ratio", "api00")
    with pytest.raises(ValueError, match="weights"):
        d.estimate("mean", "api00", by="stype").contrast([1, -1])
    with pytest.raises(AttributeError, match="immutable"):
        d.estimate("mean", "api00").level = 0.9


@pytest.mark.filterwarnings("ignore:1 replicates gave NaN")
def test_replicate_statistic_by_domain_equals_the_replicate_mean():
    df = apistrat()
    rep = SurveyDesign(df, weight="pw", strata="stype", psu="dnum").replicates("jkn")
    y = df["api99"].to_numpy()

    def mean(data: pd.DataFrame, w: np.ndarray) -> float:
        with np.errstate(invalid="ignore"):  # a replicate without the domain: NaN, discarded
            return float((w * y).sum() / w.sum())

    for by in ("cname", "awards"):
        got = rep.estimate_statistic(mean, by=by)
        want = rep.mean("api99", by=by)
        for c in ("estimate", "se", "ci_low", "ci_high", "df", "n", "n_weighted"):
            np.testing.assert_allclose(got[c], want[c], rtol=1e-9, atol=1e-9, err_msg=c)
        assert got[by].tolist() == want[by].tolist()
    # domains=: one call returning a value per domain, with each domain's df
    masks = np.stack([df["awards"].eq(a).to_numpy() for a in ("No", "Yes")], axis=1)

    def means(data: pd.DataFrame, w: np.ndarray) -> np.ndarray:
        return np.array([(w * y)[m].sum() / w[m].sum() for m in masks.T])

    got = rep.estimate_statistic(means, domains=masks)
    want = rep.mean("api99", by="awards")
    np.testing.assert_allclose(got["se"], want["se"], rtol=1e-9)
    np.testing.assert_array_equal(got["df"], want["df"])
    with pytest.raises(ValueError, match="not both"):
        rep.estimate_statistic(means, by="awards", domains=masks)
