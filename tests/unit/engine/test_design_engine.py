"""Engine internals of hhsurvey.engine.design: the fast summation paths and a ``by`` with no levels.

The summation helpers replace ``np.bincount`` for speed and must give its sums bit for bit
(same order of addition), on PSU-ordered and unordered rows; the per-level row counts kept
from coding the ``by`` column must equal a direct count. A ``by`` column without any
non-missing value has no domain: every estimator returns an empty table with the usual
columns and dtypes instead of failing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hhsurvey import SurveyDesign
from hhsurvey.engine.domains import by_codes
from hhsurvey.engine.kernels import bin_sum as _bin_sum
from hhsurvey.engine.kernels import psu_domain_totals as _psu_domain_totals
from hhsurvey.engine.results import OUTPUT_COLUMNS


def sample(n: int = 3000, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    h = rng.integers(0, 6, n)
    return pd.DataFrame(
        {
            "h": h,
            "p": h * 10 + rng.integers(0, 5, n),
            "w": rng.uniform(0.5, 4.0, n),
            "y": rng.lognormal(2.0, 1.0, n),
            "z": rng.integers(0, 2, n),
            "x": rng.uniform(1.0, 3.0, n),
            "d": rng.choice([2, 5, 9], n),  # integer levels with gaps
            "g": rng.integers(0, 40, n),
            "cat": pd.Categorical(rng.choice(["u", "v"], n), categories=["v", "w", "u"]),
            "s": rng.choice(["a", "b", "c"], n),
        }
    )


def psu_sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["h", "p"], kind="stable").reset_index(drop=True)


# ----------------------------------------------------------------------------- fast sums
def test_bin_sum_is_bincount_bit_for_bit():
    rng = np.random.default_rng(1)
    for size in (1, 3, 97):
        idx = rng.integers(0, size, 20_000)
        vals = rng.lognormal(0.0, 3.0, 20_000) * rng.choice([-1.0, 1.0], 20_000)
        assert np.array_equal(_bin_sum(idx, vals, size), np.bincount(idx, vals, minlength=size))
    # unused bins, NaN propagates as in bincount, empty input
    idx = np.array([4, 0, 4, 4])
    vals = np.array([1e16, 1.0, -1e16, 1.0])
    assert np.array_equal(_bin_sum(idx, vals, 6), np.bincount(idx, vals, minlength=6))
    out = _bin_sum(np.array([1, 1]), np.array([np.nan, 1.0]), 3)
    assert out[0] == 0.0 and np.isnan(out[1]) and out[2] == 0.0
    assert np.array_equal(_bin_sum(np.zeros(0, dtype=np.int64), np.zeros(0), 4), np.zeros(4))


@pytest.mark.parametrize("ordered", [True, False])
def test_psu_domain_totals_are_bincount_bit_for_bit(ordered):
    df = sample()
    df = psu_sorted(df) if ordered else df
    d = SurveyDesign(df, weight="w", strata="h", psu="p")
    s = d._s
    assert (s.psu_starts is not None) is ordered
    wy = s.w * df["y"].to_numpy()
    codes, labels, _, _ = by_codes(d, ["g"])
    k = len(labels)
    ref = np.bincount(s.psu * k + codes, wy, minlength=s.G * k).reshape(s.G, k)
    assert np.array_equal(_psu_domain_totals(s, codes, k, wy), ref)
    ref1 = np.bincount(s.psu, wy, minlength=s.G)[:, None]
    assert np.array_equal(_psu_domain_totals(s, None, 1, wy, row_order=True), ref1)
    np.testing.assert_allclose(_psu_domain_totals(s, None, 1, wy), ref1, rtol=1e-13)


@pytest.mark.parametrize("by", ["d", "g", "cat", "s", ["d", "cat"]])
@pytest.mark.parametrize("zero_weight", [False, True])
def test_domain_row_counts(by, zero_weight):
    """n = positive-weight rows per domain, whichever way the counts are obtained."""
    df = psu_sorted(sample())
    if zero_weight:
        df.loc[::7, "w"] = 0.0
    res = SurveyDesign(df, weight="w", strata="h", psu="p").mean("y", by=by)
    cols = [by] if isinstance(by, str) else by
    want = df[df["w"] > 0].groupby(cols, observed=True).size()
    got = res.set_index(cols)["n"]
    assert got.to_dict() == want.to_dict()
    assert res["n"].dtype == np.int64


def test_psu_order_does_not_change_domain_estimates():
    df = sample()
    a = SurveyDesign(df, weight="w", strata="h", psu="p")
    b = SurveyDesign(psu_sorted(df), weight="w", strata="h", psu="p")
    assert a._s.psu_starts is None and b._s.psu_starts is not None
    for f in (
        lambda x: x.mean("y", by="g"),
        lambda x: x.ratio("y", "x", by=["d", "cat"]),
        lambda x: x.replicates("jkn").mean("y", by="d"),
        lambda x: x.replicates("bootstrap", n=20, seed=2).total("y", by="s"),
    ):
        pd.testing.assert_frame_equal(f(a), f(b), rtol=1e-12, atol=0)


# ----------------------------------------------------------------------------- empty by
def no_levels(kind: str) -> pd.DataFrame:
    """The sample with a by column ``e`` that has no non-missing value."""
    df = sample(400)
    n = len(df)
    if kind == "float":
        df["e"] = np.nan
    elif kind == "str":
        df["e"] = pd.Series([None] * n, dtype="str")
    elif kind == "object":
        df["e"] = pd.Series([None] * n, dtype=object)
    elif kind == "category":
        df["e"] = pd.Categorical([None] * n, categories=["p", "q"])
    elif kind == "Int64":
        df["e"] = pd.array([pd.NA] * n, dtype="Int64")
    return df


def one_level(df: pd.DataFrame) -> pd.DataFrame:
    """Same column dtype with one non-missing value (the non-empty reference)."""
    out = df.copy()
    e = out["e"].copy()
    e.iloc[0] = (
        e.dtype.categories[0]
        if isinstance(e.dtype, pd.CategoricalDtype)
        else ("a" if e.dtype == object or pd.api.types.is_string_dtype(e.dtype) else 1)
    )
    out["e"] = e
    return out


ESTIMATORS = {
    "mean": lambda x, by: x.mean("y", by=by),
    "total": lambda x, by: x.total("y", by=by),
    "proportion": lambda x, by: x.proportion("z", by=by),
    "ratio": lambda x, by: x.ratio("y", "x", by=by),
    "quantile": lambda x, by: x.quantile("y", 0.5, by=by),
    "quantiles": lambda x, by: x.quantile("y", [0.25, 0.75], by=by),
    "where": lambda x, by: x.mean("y", by=by, where=x.data["z"] == 1),
}


def designs(df: pd.DataFrame) -> dict[str, object]:
    d = SurveyDesign(df, weight="w", strata="h", psu="p")
    return {
        "taylor": d,
        "taylor_sorted": SurveyDesign(psu_sorted(df), weight="w", strata="h", psu="p"),
        "element": SurveyDesign(df, weight="w", strata="h"),
        "jkn": d.replicates("jkn"),
        "bootstrap": d.replicates("bootstrap", n=10, seed=1),
        "weights": SurveyDesign(df, weight="w").with_replicate_weights(
            np.outer(df["w"], np.linspace(0.8, 1.2, 4)), scale=0.5
        ),
    }


@pytest.mark.filterwarnings("ignore:.*replicates gave NaN:RuntimeWarning")  # 1-row reference
@pytest.mark.parametrize("kind", ["float", "str", "object", "category", "Int64"])
@pytest.mark.parametrize("estimator", list(ESTIMATORS))
def test_by_without_values_gives_empty_table(kind, estimator):
    df = no_levels(kind)
    ref_df = one_level(df)
    f = ESTIMATORS[estimator]
    for name, x in designs(df).items():
        out = f(x, "e")
        ref = f(designs(ref_df)[name], "e")
        lead = ["p"] if estimator == "quantiles" else []
        assert list(out.columns) == [*lead, "e", *OUTPUT_COLUMNS], name
        assert len(out) == 0, name
        assert len(ref) > 0
        pd.testing.assert_series_equal(out.dtypes, ref.dtypes, obj=f"{name} dtypes")
        assert out["n"].dtype == np.int64 and out["estimate"].dtype == np.float64


@pytest.mark.parametrize("estimator", list(ESTIMATORS))
def test_by_without_values_among_several_columns(estimator):
    df = no_levels("float")
    f = ESTIMATORS[estimator]
    for name, x in designs(df).items():
        out = f(x, ["s", "e"])
        lead = ["p"] if estimator == "quantiles" else []
        assert list(out.columns) == [*lead, "s", "e", *OUTPUT_COLUMNS], name
        assert len(out) == 0
        assert out["e"].dtype == np.float64 and out["n"].dtype == np.int64


def test_by_without_values_leaves_design_usable():
    df = no_levels("float")
    d = SurveyDesign(df, weight="w", strata="h", psu="p")
    assert d.mean("y", by="e").empty
    pd.testing.assert_frame_equal(
        d.mean("y"), SurveyDesign(df, weight="w", strata="h", psu="p").mean("y")
    )
    assert len(d.mean("y", by="s")) == 3


def test_by_without_values_still_checks_quantile_probabilities():
    d = SurveyDesign(no_levels("float"), weight="w", strata="h", psu="p")
    for x in (d, d.replicates("jkn")):
        with pytest.raises(ValueError, match=r"quantile probabilities must be in \[0, 1\]"):
            x.quantile("y", [0.5, 1.5], by="e")


def test_string_design_columns_coded_once_follow_their_data():
    """The codes of an Arrow string column are remembered by its data: a frame derived by
    ``assign`` reuses them, a column whose values changed is coded again; each time equal to
    ``pd.factorize(sort=True)`` and to a design on integer codes."""
    from hhsurvey.engine.structure import factorize_counted

    rng = np.random.default_rng(3)
    psu = pd.Series(rng.choice([f"v{i:03d}" for i in range(40)], 2000), dtype="str")
    psu[5] = None
    want, levels = pd.factorize(psu, sort=True, use_na_sentinel=True)
    for col in (psu, pd.DataFrame({"p": psu}).assign(x=1)["p"], psu.copy(deep=False)):
        codes, got_levels, _ = factorize_counted(col)
        np.testing.assert_array_equal(codes, want)
        assert list(got_levels) == list(levels)
        codes[:] = 0  # the caller's copy: the next call is not affected
    # the same Arrow data under another dtype: its levels keep that dtype
    import pyarrow as pa

    large = psu.astype(pd.ArrowDtype(pa.large_string()))
    assert factorize_counted(large)[1].dtype == pd.factorize(large, sort=True)[1].dtype
    assert factorize_counted(psu)[1].dtype == levels.dtype
    changed = psu.copy()
    changed[0] = "a-first"
    codes, got_levels, _ = factorize_counted(changed)
    np.testing.assert_array_equal(codes, pd.factorize(changed, sort=True)[0])
    assert got_levels[0] == "a-first"

    df = sample()
    by_text = df.assign(stratum=df["h"].astype("str"), psu=df["p"].astype("str"))
    want = SurveyDesign(df, weight="w", strata="h", psu="p").mean("y")
    for _ in range(3):  # the later designs reuse the remembered codes
        got = SurveyDesign(by_text.assign(k=1), weight="w", strata="stratum", psu="psu").mean("y")
        pd.testing.assert_frame_equal(got, want, rtol=1e-12)
