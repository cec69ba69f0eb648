"""Engine internals of hhsurvey.design: the fast summation paths.

The summation helpers replace ``np.bincount`` for speed and must give its sums bit for bit
(same order of addition), on PSU-ordered and unordered rows; the per-level row counts kept
from coding the ``by`` column must equal a direct count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hhsurvey import SurveyDesign
from hhsurvey.design import _bin_sum, _psu_domain_totals


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
    codes, labels, _, _ = d._by_codes(["g"])
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
