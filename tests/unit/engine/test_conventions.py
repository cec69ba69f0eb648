"""The engine's conventions and the rules beside them (issue 25), by construction.

Each check compares a convention with what it means, computed another way: ``missing="drop"``
with a design built on the complete rows by hand, ``domain_df="design"`` with the design's degf,
``lonely_psu="collapse"`` with a design whose strata were merged by hand, Hadamard matrices with
their defining property. The goldens against R are in tests/golden/.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from hhsurvey import SurveyDesign
from hhsurvey.engine.conventions import resolve_convention
from hhsurvey.engine.hadamard import check_hadamard, hadamard, paley, sylvester
from hhsurvey.engine.results import stack
from hhsurvey.engine.structure import collapse_plan
from hhsurvey.errors import InputError


def frame(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 120
    df = pd.DataFrame(
        {
            "w": rng.uniform(1, 4, n),
            "h": np.repeat(["a", "b", "c"], 40),
            "p": np.tile(np.repeat([1, 2, 3, 4], 10), 3),
            "y": rng.normal(10, 3, n),
            "z": rng.integers(0, 2, n).astype(float),
            "g": rng.choice(["x", "y"], n),
            "c": rng.choice(["k", "l", "m"], n),
        }
    )
    df.loc[(df["h"] == "a") & (df["p"] == 1), "y"] = np.nan  # a PSU without any y
    df.loc[[5, 50, 95], "y"] = np.nan
    df.loc[[7, 60], "g"] = None
    return df


def design(df: pd.DataFrame, **kw) -> SurveyDesign:
    return SurveyDesign(df, weight="w", strata="h", psu="p", **kw)


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), rtol=1e-12)


# --------------------------------------------------------------------------- the switch
def test_convention_names_and_parts():
    assert resolve_convention("r", None, None) == ("r", "zero_weight", "domain")
    assert resolve_convention("stata", None, None) == ("stata", "drop", "design")
    assert resolve_convention("r", "drop", "design") == ("stata", "drop", "design")
    assert resolve_convention("stata", None, "domain") == ("custom", "drop", "domain")
    for bad in ({"convention": "spss"}, {"missing": "omit"}, {"domain_df": "strata"}):
        with pytest.raises(ValueError, match="must be one of"):
            design(frame(), **bad)
    d = design(frame(), convention="stata")
    assert (d.convention, d.missing, d.domain_df) == ("stata", "drop", "design")
    assert "convention='stata'" in repr(d)
    assert "missing='drop', domain_df='domain'" in repr(design(frame(), missing="drop"))


def test_drop_is_the_design_of_the_complete_rows():
    df = frame()
    complete = design(df.dropna(subset=["y", "g"]))
    d = design(df, missing="drop")
    assert_same(d.mean("y", by="g"), complete.mean("y", by="g"))
    assert_same(d.total("y"), design(df.dropna(subset=["y"])).total("y"))
    assert_same(d.ratio("y", "z"), design(df.dropna(subset=["y"])).ratio("y", "z"))
    assert_same(d.quantile("y", 0.5), design(df.dropna(subset=["y"])).quantile("y", 0.5))
    # the PSU without y leaves stratum a: the SE differs from zero-weighting, the estimate not
    zw = design(df).mean("y")
    assert d.mean("y")["estimate"].iloc[0] == pytest.approx(zw["estimate"].iloc[0], rel=1e-14)
    assert d.mean("y")["se"].iloc[0] != pytest.approx(zw["se"].iloc[0], rel=1e-6)
    assert d.mean("y")["df"].iloc[0] == zw["df"].iloc[0] == 8  # 11 PSUs with y - 3 strata
    assert design(df).degf == 9


@pytest.mark.parametrize("form", ["column", "series", "array"])
def test_drop_keeps_where_aligned(form):
    df = frame().assign(sub=lambda x: x["z"] == 1)
    where = {"column": "sub", "series": df["sub"], "array": df["sub"].to_numpy()}[form]
    got = design(df, missing="drop").mean("y", where=where)
    want = design(df.dropna(subset=["y"])).mean("y", where="sub")
    assert_same(got, want)
    with pytest.raises(ValueError, match="length"):
        design(df, missing="drop").mean("y", where=np.ones(3, dtype=bool))


def test_drop_builds_each_sample_once_and_estimates_carry_it():
    d = design(frame(), missing="drop")
    d.mean("y")
    d.total("y")
    assert len(d._drop_cache) == 1
    e = d.estimate("mean", "y")
    assert e.design._parent is d and len(e.influence) == d.data["y"].notna().sum()
    # two variables missing on different rows are not one sample: no silent wrong covariance
    with pytest.raises(ValueError, match="missing='drop'"):
        stack([e, d.estimate("proportion", "z", by="g")])
    stack([e, d.estimate("total", "y")])  # the same rows: joined
    assert design(frame(), missing="drop").mean("z")["n"].iloc[0] == 120  # nothing to drop


def test_drop_on_a_calibrated_design_is_refused():
    df = frame()
    totals = pd.Series({"a": 100.0, "b": 120.0, "c": 90.0}).rename_axis("h")
    cal = design(df, missing="drop").poststratify(totals)
    assert cal.missing == "drop"
    cal.mean("z")  # no missing value: fine
    with pytest.raises(ValueError, match="calibrated"):
        cal.mean("y")


def test_design_df_for_every_domain_and_contrast():
    df = frame()
    d = design(df, domain_df="design")
    by = d.mean("z", by="c")
    assert (by["df"] == d.degf).all()
    r = design(df).mean("z", where=df["h"] == "a")
    s = d.mean("z", where=df["h"] == "a")
    assert r["df"].iloc[0] == 3 and s["df"].iloc[0] == 9
    assert r["se"].iloc[0] == s["se"].iloc[0]
    assert d.estimate("mean", "z", by="c").contrast([1, -1, 0])["df"].iloc[0] == 9
    assert d.replicates("jkn").mean("z", by="c")["df"].tolist() == [9, 9, 9]


def test_regressions_drop_rows_missing_y_or_x():
    df = frame().assign(x=lambda f: f["y"].fillna(0) * 0.1 + f["z"])
    df.loc[[3, 4], "x"] = np.nan
    d = design(df, convention="stata")
    keep = df.dropna(subset=["y", "x"])
    assert_same(
        d.linear("y", ["x", "g"]),
        design(keep.dropna(subset=["g"]), domain_df="design").linear("y", ["x", "g"]),
    )
    got = d.logistic("z", "x + C(g)")
    want = design(df.dropna(subset=["x", "g"]), domain_df="design").logistic("z", "x + C(g)")
    assert_same(got, want)


def test_categorical_and_crosstab_under_drop():
    df = frame()
    d = design(df, convention="stata")
    keep = df.dropna(subset=["g"])
    assert_same(d.categorical("g"), design(keep, domain_df="design").categorical("g"))
    got = d.crosstab("g", "c")
    want = design(keep, domain_df="design").crosstab("g", "c")
    assert_same(got.table, want.table)
    assert_same(got.tests, want.tests)


# --------------------------------------------------------------------------- collapse
def test_collapse_plan_rule():
    sr = np.zeros(6, dtype=bool)
    # single strata pair with the next; a pair of singles is one group; the last joins back
    assert collapse_plan(np.array([1.0, 3, 2, 1, 1, 2]), sr).tolist() == [0, 0, 1, 2, 2, 3]
    assert collapse_plan(np.array([2.0, 2, 1]), sr[:3]).tolist() == [0, 1, 1]
    assert collapse_plan(np.array([2.0, 2]), sr[:2]) is None
    # a self-representing stratum stays alone and is skipped over
    assert collapse_plan(np.array([1.0, 1, 2]), np.array([False, True, False])).tolist() == [
        0,
        1,
        0,
    ]


def test_collapse_equals_merging_by_hand(caplog):
    df = frame()
    df = df[~((df["h"] == "b") & (df["p"] > 1))]  # stratum b keeps one PSU
    with caplog.at_level(logging.INFO, logger="hhsurvey.engine"):
        d = design(df, lonely_psu="collapse")
    assert "'b+c'" in caplog.text
    merged = df.assign(
        h=df["h"].replace({"b": "b+c", "c": "b+c"}), p=df["h"] + "/" + df["p"].astype(str)
    )
    want = design(merged)
    assert_same(d.mean("z", by="g"), want.mean("z", by="g"))
    assert d.describe()["stratum"].tolist() == ["a", "b+c"]
    assert d.collapsed.to_dict("list") == {"stratum": ["b", "c"], "collapsed_into": ["b+c", "b+c"]}
    with pytest.raises(InputError, match="only one PSU"):
        design(df, lonely_psu="fail").mean("z")


def test_collapse_element_design_with_fpc():
    df = pd.DataFrame(
        {"w": [2.0, 2, 3, 3, 3, 4], "h": [1, 1, 2, 3, 3, 4], "y": [1.0, 2, 3, 4, 5, 6]}
    )
    df["N"] = df["h"].map({1: 10, 2: 5, 3: 8, 4: 7})
    d = SurveyDesign(df, "w", strata="h", fpc="N", lonely_psu="collapse")
    # strata 2 (one row) joins 3; stratum 4 (one row, last) joins the group before: 2+3+4
    assert d.describe()["stratum"].tolist() == ["1", "2+3+4"]
    assert d.describe()["population_size"].tolist() == [10, 20]
    merged = df.assign(h=df["h"].where(df["h"] == 1, 9), N=np.where(df["h"] == 1, 10, 20))
    assert_same(d.total("y"), SurveyDesign(merged, "w", strata="h", fpc="N").total("y"))


def test_collapse_with_nothing_to_pair_with():
    df = pd.DataFrame({"w": [1.0, 1.0], "h": [1, 1], "p": [1, 1], "y": [1.0, 2.0]})
    d = SurveyDesign(df, "w", strata="h", psu="p", lonely_psu="collapse")
    with pytest.raises(InputError, match="no other stratum"):
        d.mean("y")


# --------------------------------------------------------------------------- Hadamard
@pytest.mark.parametrize("n", [1, 3, 4, 7, 9, 11, 15, 18, 22, 26, 31, 33, 47])
def test_hadamard_matrices(n):
    H = hadamard(n)
    N = len(H)
    assert N > n and N % 4 == 0 and N <= 2 * (n + 4)
    np.testing.assert_array_equal(H @ H.T, N * np.eye(N))
    assert (H[0] == 1).all() and (H[1:].sum(axis=1) == 0).all()


def test_hadamard_constructions_and_checks():
    np.testing.assert_array_equal(
        sylvester(4), [[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]]
    )
    # R's paley(prime = 3): residues (and 0) of i + j mod 3 are -1
    np.testing.assert_array_equal(paley(3)[1:, 1:], [[-1, -1, 1], [-1, 1, -1], [1, -1, -1]])
    with pytest.raises(ValueError, match="power of 2"):
        sylvester(12)
    with pytest.raises(ValueError, match="3 mod 4"):
        paley(13)
    np.testing.assert_array_equal(check_hadamard((sylvester(8) + 1) // 2, 5), sylvester(8))
    with pytest.raises(ValueError, match="rows"):
        check_hadamard(sylvester(4), 4)
    with pytest.raises(ValueError, match="balanced"):
        check_hadamard(np.ones((4, 4)) - 2 * np.eye(4), 3)


def test_brr_and_fay_replicates_by_hand():
    df = pd.DataFrame(
        {
            "w": [1.0, 2, 3, 4, 5, 6],
            "h": [1, 1, 2, 2, 3, 3],
            "p": [2, 1, 1, 2, 1, 2],  # labels, not row order, decide the first PSU
            "y": [1.0, 2, 3, 4, 5, 6],
        }
    )
    d = SurveyDesign(df, "w", strata="h", psu="p")
    rep = d.replicates("fay", rho=0.25)
    H = sylvester(4)
    first = (df["p"] == 1).to_numpy()  # psu 1 of each stratum
    h = df["h"].to_numpy() - 1
    sign = np.where(first[:, None], H[h + 1], -H[h + 1])
    np.testing.assert_array_equal(
        rep.replicate_weights, df["w"].to_numpy()[:, None] * np.where(sign > 0, 1.75, 0.25)
    )
    assert rep.scale == 1 / (4 * 0.75**2)
    with pytest.raises(ValueError, match="rho"):
        d.replicates("fay")
    with pytest.raises(ValueError, match="n must be None"):
        d.replicates("brr", n=10)


@pytest.mark.parametrize("psu", ["p", None])
def test_subset_structure_is_the_structure_of_the_rows_left(psu):
    from hhsurvey.engine.structure import build_structure, subset_structure

    df = frame().assign(N=lambda f: f["h"].map({"a": 40, "b": 50, "c": 60}))
    keep = df["y"].notna().to_numpy() & (df["h"] != "b").to_numpy()
    fpc = "N" if psu else None
    got = subset_structure(build_structure(df, "w", "h", psu, fpc), keep)
    want = build_structure(df[keep], "w", "h", psu, fpc)
    for field in want.__dataclass_fields__:
        a, b = getattr(got, field), getattr(want, field)
        if isinstance(b, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=field)
        elif isinstance(b, pd.Index):
            assert a.equals(b), field
        else:
            assert a == b, field
