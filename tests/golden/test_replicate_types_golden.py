"""Every replicate type (issue 25): BRR and Fay replicates generated from strata and PSUs, and
replicate weights supplied with the data by type, against R's survey package (R 4.2.2, survey
4.1-1); and the BRR and jackknife weights that Stata's NHANES II files carry, regenerated.

R values come from ``tests/fixtures/r/make_golden_replicate_types.R``
(``golden_replicate_types.json``) on Stata's NHANES II (``tests/fixtures/surveys/nhanes2.csv.gz``:
the Taylor design with the replicate weights of ``nhanes2brr`` and ``nhanes2jknife``), R's
apiclus1 and apistrat. Each test quotes the R call. Tolerances: 1e-10 relative on estimates and
SEs (the replicate estimators are sums of the same products in both), scales exact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from golden_cases import golden, survey
from scipy.linalg import hadamard
from testpaths import R_DATA

from hhsurvey import SurveyDesign

RTOL = 1e-10


def case(name: str) -> dict:
    return golden("golden_replicate_types")[name]


def nhanes2(**kw) -> SurveyDesign:
    return SurveyDesign(survey("nhanes2"), weight="finalwgt", strata="stratid", psu="psuid", **kw)


def check_design(rep, want: dict, y: str, by: str) -> None:
    """scale, rscales, df, mean of y overall and by domain, as R's replicate design."""
    assert rep.n_replicates == want["n_replicates"][0]
    assert rep.scale == pytest.approx(want["scale"][0], rel=1e-15)
    np.testing.assert_allclose(rep.rscales, want["rscales"], rtol=1e-15)
    m = rep.mean(y)
    assert m["df"].iloc[0] == want["degf"][0]
    np.testing.assert_allclose(
        m[["estimate", "se"]].to_numpy()[0],
        [want["mean_estimate"][0], want["mean_se"][0]],
        rtol=RTOL,
    )
    b = rep.mean(y, by=by)
    assert b[by].astype(str).tolist() == want["by_level"]
    np.testing.assert_allclose(b["estimate"], want["by_estimate"], rtol=RTOL)
    np.testing.assert_allclose(b["se"], want["by_se"], rtol=RTOL)


def replicate_means(rep, y: str) -> np.ndarray:
    W = rep.replicate_weights
    v = rep.data[y].to_numpy(dtype=np.float64)
    ok = ~np.isnan(v)
    return (W[ok] * v[ok, None]).sum(axis=0) / W[ok].sum(axis=0)


# --------------------------------------------------------------------------- generated
GENERATED = {
    # as.svrepdesign(dnh2, type='BRR')  (31 strata: Sylvester's 32 x 32 matrix)
    "brr": ({}, "brr", None),
    # as.svrepdesign(dnh2, type='Fay', fay.rho=0.3)
    "fay": ({}, "fay", 0.3),
    # as.svrepdesign(d10, type='BRR'), d10 = strata 1-10 (Paley's 12 x 12 matrix)
    "brr_paley": ({"max_stratum": 10}, "brr", None),
    # as.svrepdesign(d10, type='Fay', fay.rho=0.5)
    "fay_paley": ({"max_stratum": 10}, "fay", 0.5),
}


@pytest.mark.parametrize("name", list(GENERATED))
def test_generated_brr_and_fay(name):
    # <call>; svymean(~zinc, ., na.rm=TRUE); svyby(~zinc, ~region, ., svymean, na.rm=TRUE);
    # every replicate's mean of zinc and weight total, in R's order of replicates
    opts, method, rho = GENERATED[name]
    data = survey("nhanes2")
    if "max_stratum" in opts:
        data = data[data["stratid"] <= opts["max_stratum"]]
    d = SurveyDesign(data, weight="finalwgt", strata="stratid", psu="psuid")
    rep = d.replicates(method, rho=rho) if rho is not None else d.replicates(method)
    want = case(f"generated_{name}")
    check_design(rep, want, "zinc", "region")
    np.testing.assert_allclose(replicate_means(rep, "zinc"), want["replicate_means"], rtol=1e-12)
    np.testing.assert_allclose(
        rep.replicate_weights.sum(axis=0), want["replicate_totals"], rtol=1e-13
    )


def test_generated_brr_total_and_mse():
    rep = nhanes2().replicates("brr")
    # svytotal(~zinc, as.svrepdesign(dnh2, type='BRR'), na.rm=TRUE)
    want = case("generated_brr_total")
    np.testing.assert_allclose(
        rep.total("zinc")[["estimate", "se"]].to_numpy()[0],
        [want["estimate"][0], want["se"][0]],
        rtol=RTOL,
    )
    # svymean(~zinc, as.svrepdesign(dnh2, type='BRR', mse=TRUE), na.rm=TRUE)
    want = case("generated_brr_mse")
    got = nhanes2().replicates("brr", mse=True).mean("zinc")["se"].iloc[0]
    assert got == pytest.approx(want["se"][0], rel=RTOL)


# --------------------------------------------------------------------------- supplied
def nh2_with(weights: np.ndarray) -> tuple[SurveyDesign, list[str]]:
    data = survey("nhanes2")
    cols = [f"r{j}" for j in range(weights.shape[1])]
    data = pd.concat([data, pd.DataFrame(weights, columns=cols, index=data.index)], axis=1)
    return SurveyDesign(data, weight="finalwgt"), cols


def sdr_weights() -> np.ndarray:
    """Successive-difference factors of the 62 PSUs in (stratum, PSU) order, built here from
    Sylvester's 64 x 64 matrix: 1 + 2^-1.5 a[i+1, r] - 2^-1.5 a[i+2, r] (Fay and Train 1995)."""
    data = survey("nhanes2")
    A = hadamard(64)
    f = 1 + 2**-1.5 * A[1:63] - 2**-1.5 * A[2:64]
    psu = data.groupby(["stratid", "psuid"]).ngroup().to_numpy()
    return data["finalwgt"].to_numpy()[:, None] * f[psu]


def test_supplied_brr():
    # svrepdesign(data=nh2, repweights='brr_[0-9]+', weights=~finalwgt, type='BRR', combined.weights=TRUE)
    d = nhanes2()
    rep = d.with_replicate_weights([f"brr_{j}" for j in range(1, 33)], type="brr")
    check_design(rep, case("supplied_brr"), "zinc", "region")


def test_supplied_fay():
    # svrepdesign(data=nh2, repweights=ifelse(brr > 0, 1.7, 0.3) * finalwgt, weights=~finalwgt,
    #             type='Fay', rho=0.3, combined.weights=TRUE)
    data = survey("nhanes2")
    brr = data.filter(like="brr_").to_numpy()
    d, cols = nh2_with(np.where(brr > 0, 1.7, 0.3) * data["finalwgt"].to_numpy()[:, None])
    check_design(
        d.with_replicate_weights(cols, type="fay", rho=0.3), case("supplied_fay"), "zinc", "region"
    )


@pytest.mark.parametrize("kind", ["jkn", "other"])
def test_supplied_jackknife(kind):
    # svrepdesign(data=nh2, repweights='jkw_[0-9]+', weights=~finalwgt, type='JKn', rscales=rep(0.5, 62), combined.weights=TRUE)
    # svrepdesign(..., type='other', scale=1, rscales=rep(0.5, 62))
    cols = [f"jkw_{j}" for j in range(1, 63)]
    kw = {} if kind == "jkn" else {"scale": 1.0, "rscales": np.full(62, 0.5)}
    rep = nhanes2().with_replicate_weights(
        cols, type=kind, **kw
    )  # jkn: rscales read from the weights
    check_design(rep, case(f"supplied_{kind}"), "zinc", "region")


@pytest.mark.parametrize("name", ["sdr", "successive-difference"])
def test_supplied_successive_difference(name):
    # svrepdesign(data=nh2, repweights=finalwgt * f[psu, ], weights=~finalwgt,
    #             type='successive-difference', combined.weights=TRUE)
    d, cols = nh2_with(sdr_weights())
    check_design(d.with_replicate_weights(cols, type=name), case("supplied_sdr"), "zinc", "region")
    # ... mse=TRUE
    got = d.with_replicate_weights(cols, type=name, mse=True).mean("zinc")["se"].iloc[0]
    assert got == pytest.approx(case("supplied_sdr_mse")["se"][0], rel=RTOL)


def test_supplied_jk1():
    # svrepdesign(data=apiclus1, repweights=<R's JK1 weights>, weights=~pw, type='JK1', combined.weights=TRUE)
    data = pd.read_csv(R_DATA / "apiclus1.csv")
    rw = pd.read_csv(R_DATA / "apiclus1_jk1_repw.csv")
    rep = SurveyDesign(data, weight="pw").with_replicate_weights(rw, type="jk1")
    check_design(rep, case("supplied_jk1"), "api00", "stype")


def test_supplied_bootstrap():
    # svrepdesign(data=apistrat, repweights=apistrat_bootstrap_repw.csv, weights=~pw, type='bootstrap', combined.weights=TRUE)
    data = pd.read_csv(R_DATA / "apistrat.csv")
    rw = pd.read_csv(R_DATA / "apistrat_bootstrap_repw.csv")
    rep = SurveyDesign(data, weight="pw").with_replicate_weights(rw, type="bootstrap")
    check_design(rep, case("supplied_bootstrap"), "api00", "stype")


def test_supplied_type_errors():
    d = nhanes2()
    cols = [f"brr_{j}" for j in range(1, 33)]
    with pytest.raises(ValueError, match="rho"):
        d.with_replicate_weights(cols, type="fay")
    with pytest.raises(ValueError, match="sets scale"):
        d.with_replicate_weights(cols, type="brr", scale=0.5)
    with pytest.raises(ValueError, match="needs scale"):
        d.with_replicate_weights(cols, type="other")
    with pytest.raises(ValueError, match="type must be one of"):
        d.with_replicate_weights(cols, type="jk2")
    same = np.outer(survey("nhanes2")["finalwgt"], [1.0, 1.0])
    with pytest.raises(ValueError, match="no factor above 1"):
        d.with_replicate_weights(same, type="jkn")  # no PSU was dropped: no jackknife


# --------------------------------------------------------------------------- Stata's files
def test_jackknife_weights_the_file_carries():
    # nhanes2jknife: one replicate per PSU in (stratum, PSU) order; the PSU weight 0, the
    # other PSU of its stratum 2 x finalwgt (n_h / (n_h - 1) with two PSUs), the rest finalwgt
    data = survey("nhanes2")
    rep = nhanes2().replicates("jkn")
    np.testing.assert_array_equal(rep.replicate_weights, data.filter(like="jkw_").to_numpy())
    np.testing.assert_array_equal(rep.rscales, np.full(62, 0.5))


def file_matrix(data: pd.DataFrame) -> np.ndarray:
    """The Hadamard matrix of nhanes2brr: Sylvester's 32 x 32 rows in reverse stratum order
    (stratum h of 31, in sorted order, takes row 31 - h), each signed by the file's choice of
    the half-sample kept in its first replicate (psuid 1 kept: +1)."""
    H = hadamard(32)
    strata = np.sort(data["stratid"].unique())
    first = data[data["psuid"] == 1].groupby("stratid")["brr_1"].first()
    M = np.ones((32, 32), dtype=np.int64)
    for h, s in enumerate(strata):
        M[h + 1] = H[31 - h] * (1 if first[s] > 0 else -1)
    return M


def test_brr_weights_the_file_carries():
    # nhanes2brr: 32 half-sample replicates of the 31 strata, weight 2 x finalwgt or 0
    data = survey("nhanes2")
    brr = data.filter(like="brr_").to_numpy()
    rep = nhanes2().replicates("brr", hadamard=file_matrix(data))
    np.testing.assert_array_equal(rep.replicate_weights, brr)
    # ... and their Fay version (Stata's nhanes2fay, rho = 0.3; tests/fixtures/surveys/README.md)
    fay = nhanes2().replicates("fay", rho=0.3, hadamard=file_matrix(data)).replicate_weights
    w = data["finalwgt"].to_numpy()[:, None]
    np.testing.assert_allclose(fay, np.where(brr > 0, 1.7, 0.3) * w, rtol=1e-15)


def test_any_balanced_matrix_gives_the_same_variance_of_a_total():
    # full orthogonal balance: the BRR variance of a total is sum_h (y_h1 - y_h2)^2, the
    # with-replacement Taylor variance, whatever the Hadamard matrix (the file's or Sylvester's)
    d = nhanes2()
    cols = [f"brr_{j}" for j in range(1, 33)]
    taylor = d.total("zinc")["se"].iloc[0]
    supplied = d.with_replicate_weights(cols, type="brr").total("zinc")["se"].iloc[0]
    generated = d.replicates("brr").total("zinc")["se"].iloc[0]
    assert supplied == pytest.approx(taylor, rel=1e-12)
    assert generated == pytest.approx(taylor, rel=1e-12)


def test_brr_needs_two_psus_per_stratum():
    from hhsurvey.errors import InputError

    data = survey("nhanes2")
    data = data[~((data["stratid"] == 1) & (data["psuid"] == 2))]
    d = SurveyDesign(data, weight="finalwgt", strata="stratid", psu="psuid", lonely_psu="remove")
    with pytest.raises(InputError, match="exactly two PSUs"):
        d.replicates("brr")
    with pytest.raises(ValueError, match="Hadamard"):
        nhanes2().replicates("brr", hadamard=np.ones((32, 32)) - 2 * np.eye(32))
