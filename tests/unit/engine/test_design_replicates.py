"""Replicate-weight designs: structure of JKn and bootstrap weights, variance machinery, API."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from testpaths import R_DATA

from hhsurvey import SurveyDesign
from hhsurvey.engine.replicates import replicate_variance
from hhsurvey.engine.results import OUTPUT_COLUMNS
from hhsurvey.errors import InputError

DATA = R_DATA


def small() -> pd.DataFrame:
    """3 strata with 2, 3, 4 PSUs and 2-3 rows per PSU."""
    rng = np.random.default_rng(7)
    rows = []
    for h, npsu in enumerate((2, 3, 4)):
        for j in range(npsu):
            m = 2 + (j % 2)
            rows.append(
                pd.DataFrame(
                    {
                        "h": h,
                        "p": j,
                        "w": rng.uniform(1, 3, m),
                        "y": rng.normal(10, 3, m),
                        "z": rng.integers(0, 2, m),
                        "d": rng.integers(0, 2, m),
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def test_jkn_weights_structure():
    df = small()
    d = SurveyDesign(df, weight="w", strata="h", psu="p")
    r = d.replicates("jkn")
    assert r.n_replicates == 9 and r.scale == 1.0
    # rscales = (n_h - 1) / n_h per replicate, replicates ordered by stratum then PSU
    np.testing.assert_allclose(r.rscales, [1 / 2] * 2 + [2 / 3] * 3 + [3 / 4] * 4)
    RW = r.replicate_weights
    w = df["w"].to_numpy()
    psu_id = df["h"].to_numpy() * 10 + df["p"].to_numpy()
    for rep, (h, j) in enumerate([(h, j) for h, n in enumerate((2, 3, 4)) for j in range(n)]):
        dropped = psu_id == h * 10 + j
        same_stratum = (df["h"].to_numpy() == h) & ~dropped
        n_h = (2, 3, 4)[h]
        np.testing.assert_array_equal(RW[dropped, rep], 0.0)
        np.testing.assert_allclose(RW[same_stratum, rep], w[same_stratum] * n_h / (n_h - 1))
        other = df["h"].to_numpy() != h
        np.testing.assert_allclose(RW[other, rep], w[other])


def test_jkn_fpc_enters_rscales_and_self_representing_strata_drop():
    df = small()
    df["N"] = df["h"].map({0: 2, 1: 30, 2: 8})  # stratum 0 is self-representing
    r = SurveyDesign(df, weight="w", strata="h", psu="p", fpc="N").replicates("jkn")
    assert r.n_replicates == 7
    np.testing.assert_allclose(r.rscales, [(1 - 3 / 30) * 2 / 3] * 3 + [(1 - 4 / 8) * 3 / 4] * 4)


def test_jkn_closed_form_equals_materialised_weights():
    df = small()
    r = SurveyDesign(df, weight="w", strata="h", psu="p").replicates("jkn")
    generic = SurveyDesign(df, weight="w").with_replicate_weights(
        r.replicate_weights, scale=r.scale, rscales=r.rscales, df=r.design.degf
    )
    for by in (None, "d"):
        a, b = r.mean("y", by=by), generic.mean("y", by=by)
        np.testing.assert_allclose(a["se"], b["se"], rtol=1e-12)
        a, b = r.ratio("y", "w", by=by), generic.ratio("y", "w", by=by)
        np.testing.assert_allclose(a["se"], b["se"], rtol=1e-12)


def test_bootstrap_is_rao_wu_and_reproducible():
    df = small()
    d = SurveyDesign(df, weight="w", strata="h", psu="p")
    r1, r2 = d.replicates("bootstrap", n=40, seed=3), d.replicates("bootstrap", n=40, seed=3)
    np.testing.assert_array_equal(r1.replicate_weights, r2.replicate_weights)
    assert not np.array_equal(
        r1.replicate_weights, d.replicates("bootstrap", n=40, seed=4).replicate_weights
    )
    assert r1.scale == pytest.approx(1 / 39) and np.all(r1.rscales == 1)
    # factor = count * n_h/(n_h-1) with n_h - 1 draws: factors sum to n_h in each stratum
    F = r1.replicate_weights / df["w"].to_numpy()[:, None]
    first = ~df.duplicated(["h", "p"]).to_numpy()
    for h, n_h in enumerate((2, 3, 4)):
        f = F[first & (df["h"].to_numpy() == h)]
        np.testing.assert_allclose(f.sum(axis=0), n_h)
        counts = f * (n_h - 1) / n_h
        np.testing.assert_allclose(counts, np.round(counts), atol=1e-12)
    # factors are constant within PSU
    key = df["h"].astype(str) + "_" + df["p"].astype(str)
    assert (pd.DataFrame(np.round(F, 10)).groupby(key.to_numpy()).nunique() == 1).all().all()


def test_bootstrap_se_close_to_linearisation():
    df = pd.read_csv(DATA / "apiclus1.csv")
    d = SurveyDesign(df, weight="pw", psu="dnum")
    boot = d.replicates("bootstrap", n=4000, seed=20261123).mean("api00", by="stype")
    taylor = d.mean("api00", by="stype")
    np.testing.assert_allclose(boot["estimate"], taylor["estimate"], rtol=1e-12)
    np.testing.assert_allclose(boot["se"], taylor["se"], rtol=0.08)


def test_bootstrap_lonely_rules():
    df = small()
    df = df[~((df["h"] == 0) & (df["p"] == 1))]  # stratum 0 now has one PSU
    with pytest.raises(InputError, match="only one PSU"):
        SurveyDesign(df, weight="w", strata="h", psu="p").replicates("bootstrap", n=10, seed=1)
    r = SurveyDesign(df, weight="w", strata="h", psu="p", lonely_psu="certainty").replicates(
        "bootstrap", n=10, seed=1
    )
    lone = (df["h"] == 0).to_numpy()
    np.testing.assert_allclose(
        r.replicate_weights[lone], np.repeat(df["w"].to_numpy()[lone, None], 10, axis=1)
    )
    with pytest.raises(InputError, match="only one PSU"):
        SurveyDesign(df, weight="w", strata="h", psu="p").replicates("jkn")


def test_svrvar_centring_and_nan_replicates():
    thetas = np.array([[1.0], [2.0], [4.0]])
    rs = np.ones(3)
    # centred at the replicate mean 7/3: 0.5 * ((4/3)^2 + (1/3)^2 + (5/3)^2) = 7/3
    assert replicate_variance(thetas, np.array([2.0]), 0.5, rs, mse=False)[0] == pytest.approx(
        7 / 3
    )
    # centred at the full-sample estimate 2: 0.5 * (1 + 0 + 4)
    assert replicate_variance(thetas, np.array([2.0]), 0.5, rs, mse=True)[0] == pytest.approx(2.5)
    with pytest.warns(RuntimeWarning, match="discarded"):
        v = replicate_variance(
            np.array([[1.0], [np.nan], [3.0]]), np.array([2.0]), 1.0, rs, mse=False
        )
    assert v[0] == pytest.approx(2.0)


def test_mse_never_smaller():
    df = small()
    r = SurveyDesign(df, weight="w", strata="h", psu="p").replicates("bootstrap", n=30, seed=5)
    a, b = r.mean("y", by="d"), r.with_mse(True).mean("y", by="d")
    assert (b["se"] >= a["se"] - 1e-15).all()


def test_same_output_schema_as_taylor():
    df = small()
    d = SurveyDesign(df, weight="w", strata="h", psu="p")
    r = d.replicates("jkn")
    for name, args in (
        ("mean", ("y",)),
        ("total", ("y",)),
        ("proportion", ("z",)),
        ("ratio", ("y", "w")),
    ):
        a = getattr(d, name)(*args, by="d", level=0.9)
        b = getattr(r, name)(*args, by="d", level=0.9)
        assert list(a.columns) == list(b.columns) == ["d", *OUTPUT_COLUMNS]
        assert a.dtypes.equals(b.dtypes)
        np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-12)
        np.testing.assert_array_equal(a["df"], b["df"])
    q = r.quantile("y", [0.25, 0.5], by="d")
    assert list(q.columns) == ["p", "d", *OUTPUT_COLUMNS]
    np.testing.assert_array_equal(q["estimate"], d.quantile("y", [0.25, 0.5], by="d")["estimate"])
    p = r.proportion("z")
    assert 0 <= p["ci_low"].iloc[0] <= p["estimate"].iloc[0] <= p["ci_high"].iloc[0] <= 1


def test_estimate_statistic_vector_and_series():
    df = small()
    r = SurveyDesign(df, weight="w", strata="h", psu="p").replicates("jkn")

    def two(data: pd.DataFrame, w: np.ndarray) -> pd.Series:
        m = np.sum(w * data["y"]) / np.sum(w)
        return pd.Series({"mean_y": m, "total_y": np.sum(w * data["y"])})

    out = r.estimate_statistic(two, level=0.9)
    assert out["term"].tolist() == ["mean_y", "total_y"]
    assert list(out.columns) == ["term", *OUTPUT_COLUMNS]
    m, t = r.mean("y", level=0.9).iloc[0], r.total("y", level=0.9).iloc[0]
    np.testing.assert_allclose(
        out[["estimate", "se", "ci_low", "ci_high"]].to_numpy(),
        [[m.estimate, m.se, m.ci_low, m.ci_high], [t.estimate, t.se, t.ci_low, t.ci_high]],
        rtol=1e-10,
    )
    np.testing.assert_allclose(r.replicate_se(two), out["se"])


def test_from_weights_validation():
    df = small()
    with pytest.raises(ValueError, match="shape"):
        SurveyDesign(df, weight="w").with_replicate_weights(np.ones((3, 4)), scale=1.0)
    bad = np.ones((len(df), 4))
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="missing"):  # at the first estimate, which reads them
        SurveyDesign(df, weight="w").with_replicate_weights(bad, scale=1.0).mean("y")
    with pytest.raises(ValueError, match="rscales"):
        SurveyDesign(df, weight="w").with_replicate_weights(
            np.ones((len(df), 4)), scale=1.0, rscales=[1, 1]
        )
    with pytest.raises(ValueError, match="method"):
        SurveyDesign(df, weight="w", strata="h", psu="p").replicates("sdr")
    with pytest.raises(AttributeError, match="immutable"):
        SurveyDesign(df, weight="w").replicates("jkn").scale = 2.0


@pytest.mark.parametrize("case", ["full", "duplicated", "jackknife", "equal_weights"])
def test_supplied_weights_rank_is_r_rule(case):
    # the design df of supplied weights is R's: qr(weights, tol=1e-5)$rank - 1, here against
    # numpy's SVD rank of the whole matrix (the engine reads it from spread rows or a sketch)
    from hhsurvey.engine.repweights import RowWeights

    rng = np.random.default_rng(5)
    n = 5000
    psu = np.sort(rng.integers(0, 40, n))
    w = np.ones(n) if case == "equal_weights" else rng.uniform(1, 3, n)
    if case == "full":
        F = rng.uniform(0.5, 1.5, (40, 12))[psu]
    elif case == "duplicated":
        base = rng.uniform(0.5, 1.5, (40, 6))
        F = np.hstack([base, base[:, :3] * 2.0])[psu]  # 9 columns of rank 6
    else:  # delete-one-PSU jackknife in 20 strata of 2 PSUs: 40 replicates of rank 21
        F = np.ones((40, 40))
        for g in range(40):
            F[g, g], F[g ^ 1, g] = 0.0, 2.0
        F = F[psu]
    RW = w[:, None] * F
    got = RowWeights(RW, w).rank()
    assert got == np.linalg.matrix_rank(RW, tol=1e-5 * np.linalg.norm(RW, 2))
    df = pd.DataFrame({"w": w, "y": rng.normal(size=n)})
    rep = SurveyDesign(df, weight="w").with_replicate_weights(RW, scale=1.0)
    assert rep.mean("y")["df"].iloc[0] == got - 1
