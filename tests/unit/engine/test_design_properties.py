"""Property tests for hhsurvey.engine.design on random stratified cluster samples (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hhsurvey import SurveyDesign

SETTINGS = settings(max_examples=50, deadline=None)


@st.composite
def samples(draw: st.DrawFn, min_psu: int = 2) -> pd.DataFrame:
    """A random stratified two-stage sample: 1-4 strata, 2-5 PSUs each, 1-6 rows per PSU."""
    seed = draw(st.integers(0, 2**32 - 1))
    n_strata = draw(st.integers(1, 4))
    rng = np.random.default_rng(seed)
    rows = []
    for h in range(n_strata):
        for j in range(int(rng.integers(min_psu, 6))):
            m = int(rng.integers(1, 7))
            effect = rng.normal(0, 1)
            rows.append(
                pd.DataFrame(
                    {
                        "stratum": h,
                        "psu": j,  # reused across strata: nested labels
                        "w": rng.uniform(0.5, 10.0, m),
                        "y": rng.normal(5 + effect, 2.0, m),
                        "z": (rng.uniform(size=m) < 0.3 + 0.1 * effect).astype(np.int64),
                        "dom": rng.integers(0, 3, m),
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def design(df: pd.DataFrame, **kw) -> SurveyDesign:
    return SurveyDesign(df, weight="w", strata="stratum", psu="psu", **kw)


COLS = ["estimate", "se", "ci_low", "ci_high", "df", "deff", "n", "n_weighted"]


@SETTINGS
@given(samples(), st.integers(0, 2**32 - 1))
def test_row_order_invariance(df, seed):
    perm = np.random.default_rng(seed).permutation(len(df))
    a, b = design(df), design(df.iloc[perm].reset_index(drop=True))
    for method in ("mean", "proportion"):
        col = "y" if method == "mean" else "z"
        for by in (None, "dom"):
            ra, rb = getattr(a, method)(col, by=by), getattr(b, method)(col, by=by)
            pd.testing.assert_frame_equal(ra, rb, rtol=1e-10, atol=1e-12)


@SETTINGS
@given(samples(), st.floats(1e-3, 1e3))
def test_weight_scaling_invariance(df, c):
    scaled = df.assign(w=df["w"] * c)
    a, b = design(df), design(scaled)
    for method, col in (("mean", "y"), ("proportion", "z")):
        ra, rb = getattr(a, method)(col, by="dom"), getattr(b, method)(col, by="dom")
        for k in ("estimate", "se", "ci_low", "ci_high", "df", "n"):
            np.testing.assert_allclose(ra[k], rb[k], rtol=1e-9, atol=1e-12, err_msg=k)
        np.testing.assert_allclose(rb["n_weighted"], c * ra["n_weighted"], rtol=1e-12)


@SETTINGS
@given(samples())
def test_domain_mean_is_ratio_estimator(df):
    # the domain mean is the ratio of totals of y * 1(domain) and 1(domain), SE included
    df = df.assign(ind=(df["dom"] == 1).astype(np.float64))
    df = df.assign(yd=df["y"] * df["ind"])
    assume(df["ind"].sum() >= 1)
    d = design(df)
    dom = d.mean("y", by="dom").set_index("dom").loc[1]
    rat = d.ratio("yd", "ind").iloc[0]
    sub = d.mean("y", where=df["dom"] == 1).iloc[0]
    for k in ("estimate", "se"):
        assert dom[k] == pytest.approx(rat[k], rel=1e-9, abs=1e-12)
        assert sub[k] == pytest.approx(rat[k], rel=1e-9, abs=1e-12)


@SETTINGS
@given(samples(min_psu=3))
def test_zero_weighting_is_not_filtering(df):
    # make the domain miss one whole PSU of stratum 0: filtering then drops that PSU from
    # the design (fewer PSUs, different n_h / (n_h - 1) and centring), zero-weighting keeps it
    df = df.assign(dom=np.where((df["stratum"] == 0) & (df["psu"] == 0), 0, df["dom"]))
    inside = df["dom"] == 1
    assume(inside.sum() >= 2)
    assume(df.loc[inside & (df["stratum"] == 0), "psu"].nunique() >= 2)
    d = design(df)
    engine = d.mean("y", where=inside).iloc[0]
    df2 = df.assign(ind=inside.astype(np.float64), yd=df["y"] * inside)
    ratio = design(df2).ratio("yd", "ind").iloc[0]
    # (filtering can leave a stratum with one PSU, which the default rule rejects)
    filtered = design(df[inside].reset_index(drop=True), lonely_psu="certainty").mean("y").iloc[0]
    assert engine["estimate"] == pytest.approx(filtered["estimate"], rel=1e-12)
    assert engine["se"] == pytest.approx(ratio["se"], rel=1e-9)
    # the two variances differ in general; hypothesis once found a sample where they agree to
    # 9e-9 (relative) by chance, so the check asks for a difference beyond rounding only
    assert engine["se"] != pytest.approx(filtered["se"], rel=1e-11)


@SETTINGS
@given(samples())
def test_domain_totals_add_up_and_cis_are_ordered(df):
    d = design(df)
    overall = d.total("y").iloc[0]
    by = d.total("y", by="dom")
    assert by["estimate"].sum() == pytest.approx(overall["estimate"], rel=1e-9, abs=1e-9)
    assert by["n"].sum() == overall["n"]
    p = d.proportion("z", by="dom")
    ok = p["df"] > 0
    assert ((p.loc[ok, "ci_low"] >= 0) & (p.loc[ok, "ci_low"] <= p.loc[ok, "estimate"])).all()
    assert ((p.loc[ok, "ci_high"] <= 1) & (p.loc[ok, "ci_high"] >= p.loc[ok, "estimate"])).all()


@SETTINGS
@given(samples())
def test_jkn_total_variance_equals_linearisation(df):
    # for totals the JKn variance is algebraically the with-replacement Taylor variance
    d = design(df)
    taylor = d.total("y", by="dom")
    jk = d.replicates("jkn").total("y", by="dom")
    np.testing.assert_allclose(jk["estimate"], taylor["estimate"], rtol=1e-10)
    np.testing.assert_allclose(jk["se"], taylor["se"], rtol=1e-8, atol=1e-10)


@SETTINGS
@given(samples())
def test_element_sampling_matches_one_row_psus(df):
    # psu=None is the same as giving every row its own PSU
    a = SurveyDesign(df, weight="w", strata="stratum")
    b = SurveyDesign(df.assign(row=np.arange(len(df))), weight="w", strata="stratum", psu="row")
    pd.testing.assert_frame_equal(
        a.mean("y", by="dom"), b.mean("y", by="dom"), rtol=1e-10, atol=1e-12
    )


@SETTINGS
@given(samples())
def test_calibration_hits_totals_and_keeps_invariances(df):
    d = design(df)
    pop = pd.Series(
        d.data.groupby("dom")["w"].sum().to_numpy() * 1.5,
        index=pd.Index(sorted(df["dom"].unique()), name="dom"),
    )
    ps = d.poststratify(pop)
    np.testing.assert_allclose(ps.total("z", by="dom")["n_weighted"], pop.to_numpy(), rtol=1e-10)
    # the element path (psu=None) and the cluster path agree when PSUs are single rows
    a = SurveyDesign(df, weight="w", strata="stratum").poststratify(pop)
    b = SurveyDesign(
        df.assign(row=np.arange(len(df))), weight="w", strata="stratum", psu="row"
    ).poststratify(pop)
    pd.testing.assert_frame_equal(a.mean("y", by="z"), b.mean("y", by="z"), rtol=1e-9, atol=1e-12)
