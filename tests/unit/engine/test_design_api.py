"""API contract of hhsurvey.engine.design.SurveyDesign: validation, immutability, output schema."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hhsurvey import SurveyDesign
from hhsurvey.engine.results import OUTPUT_COLUMNS
from hhsurvey.errors import InputError


def frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 60
    return pd.DataFrame(
        {
            "w": rng.uniform(1, 5, n),
            "stratum": np.repeat(["b", "a", "c"], 20),
            "village": np.tile(np.repeat([1, 2, 3, 4], 5), 3),
            "y": rng.normal(10, 2, n),
            "x": rng.uniform(1, 2, n),
            "z": rng.integers(0, 2, n),
            "sex": rng.choice(["m", "f"], n),
            "region": rng.choice([3, 1, 2], n),
            "flag": rng.uniform(size=n) < 0.5,
        }
    )


def design(df: pd.DataFrame | None = None, **kw) -> SurveyDesign:
    return SurveyDesign(
        frame() if df is None else df, weight="w", strata="stratum", psu="village", **kw
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d.assign(w=np.where(np.arange(len(d)) == 3, np.nan, d["w"])),
            r"weight column 'w' has 1 missing value.*rows \[3\]",
        ),
        (
            lambda d: d.assign(w=np.where(np.arange(len(d)) == 5, -1.0, d["w"])),
            r"negative or infinite value.*\[-1\.0\].*rows \[5\]",
        ),
        (lambda d: d.assign(w=d["sex"]), r"weight column 'w' must be numeric"),
        (
            lambda d: d.assign(stratum=d["stratum"].where(np.arange(len(d)) != 7)),
            r"strata column 'stratum' has missing values.*\[7\]",
        ),
        (
            lambda d: d.assign(village=d["village"].where(np.arange(len(d)) != 9)),
            r"psu column 'village' has missing values.*\[9\]",
        ),
    ],
)
def test_construction_errors_name_column_and_values(change, message):
    with pytest.raises(ValueError, match=message):
        design(change(frame()))


def test_construction_other_errors():
    df = frame()
    with pytest.raises(ValueError, match=r"not in data: \['nope'\]"):
        SurveyDesign(df, weight="w", strata="nope")
    with pytest.raises(ValueError, match="lonely_psu"):
        design(lonely_psu="average")
    with pytest.raises(TypeError, match="DataFrame"):
        SurveyDesign(df.to_numpy(), weight="w")
    with pytest.raises(ValueError, match="varies within strata"):
        design(df.assign(N=np.arange(len(df)) + 100.0), fpc="N")
    with pytest.raises(ValueError, match="100% sampling"):
        design(df.assign(N=3.0), fpc="N")


def test_fpc_population_size_or_fraction():
    df = frame().assign(N=40.0, f=0.1)
    a, b = design(df, fpc="N").mean("y"), design(df, fpc="f").mean("y")
    c = design(df).mean("y")
    # popsize 40 with 4 PSUs is fraction 0.1; the SE shrinks by sqrt(1 - 0.1)
    pd.testing.assert_frame_equal(a, b)
    assert a["se"].iloc[0] == pytest.approx(c["se"].iloc[0] * np.sqrt(0.9), rel=1e-12)


def test_immutable_and_isolated_from_source_frame():
    df = frame()
    d = design(df)
    before = d.mean("y")
    df.loc[0, "y"] = 1e6
    df["w"] = 1.0
    pd.testing.assert_frame_equal(d.mean("y"), before)
    with pytest.raises(AttributeError, match="immutable"):
        d.weight = "y"
    with pytest.raises(AttributeError):
        d.new_attribute = 1
    with pytest.raises(ValueError, match="read-only"):
        d._s.w[0] = 0.0


def test_output_schema_and_dtypes():
    d = design()
    for name, args in (
        ("mean", ("y",)),
        ("total", ("y",)),
        ("proportion", ("z",)),
        ("ratio", ("y", "x")),
        ("quantile", ("y", 0.5)),
    ):
        out = getattr(d, name)(*args)
        assert list(out.columns) == list(OUTPUT_COLUMNS)
        assert len(out) == 1
        assert out["n"].dtype == np.int64
        assert all(out[c].dtype == np.float64 for c in OUTPUT_COLUMNS if c != "n")
        by = getattr(d, name)(*args, by=["sex", "region"])
        assert list(by.columns) == ["sex", "region", *OUTPUT_COLUMNS]


def test_by_levels_sorted_and_present_levels_kept():
    df = frame()
    d = design(df)
    out = d.mean("y", by="region")
    assert out["region"].tolist() == [1, 2, 3]
    out = d.mean("y", by="stratum")
    assert out["stratum"].tolist() == ["a", "b", "c"]
    # a where= that empties a level still reports it (estimate NaN, n 0)
    out = d.mean("y", by="region", where=df["region"] != 2)
    assert out["region"].tolist() == [1, 2, 3]
    assert out.loc[1, "n"] == 0 and np.isnan(out.loc[1, "estimate"])
    # categorical by: category order, only levels present
    cat = df.assign(sexc=pd.Categorical(df["sex"], categories=["m", "x", "f"], ordered=True))
    assert design(cat).mean("y", by="sexc")["sexc"].tolist() == ["m", "f"]


def test_missing_by_values_are_outside_every_domain():
    df = frame()
    df["grp"] = df["sex"].where(np.arange(len(df)) % 7 != 0)
    out = design(df).mean("y", by="grp")
    assert out["grp"].tolist() == ["f", "m"]
    assert out["n"].sum() == df["grp"].notna().sum()


def test_missing_analysis_values_are_a_domain_not_dropped_rows():
    df = frame()
    df["ym"] = df["y"].where(np.arange(len(df)) % 5 != 0)
    d = design(df)
    got = d.mean("ym").iloc[0]
    manual = d.mean("y", where=df["ym"].notna()).iloc[0]
    assert got.n == df["ym"].notna().sum()
    for c in ("estimate", "se", "df", "deff"):
        assert got[c] == pytest.approx(manual[c], rel=1e-12)


def test_where_forms():
    df = frame()
    d = design(df)
    ref = d.mean("y", where=df["flag"])
    pd.testing.assert_frame_equal(d.mean("y", where="flag"), ref)
    pd.testing.assert_frame_equal(d.mean("y", where=df["flag"].to_numpy()), ref)
    pd.testing.assert_frame_equal(d.mean("y", where=df["flag"].astype(np.int64)), ref)
    with pytest.raises(ValueError, match="same index"):
        d.mean("y", where=df["flag"].reset_index(drop=True).set_axis(np.arange(len(df)) + 1))
    with pytest.raises(ValueError, match="length"):
        d.mean("y", where=np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="0/1"):
        d.mean("y", where=df["region"])
    # missing in where counts as outside, as R's subset()
    nullable = df["flag"].astype("boolean").mask(np.arange(len(df)) == 0)
    assert d.mean("y", where=nullable)["n"].iloc[0] == df["flag"].iloc[1:].sum()


def test_estimator_input_errors():
    d = design()
    with pytest.raises(ValueError, match="0/1"):
        d.proportion("y")
    with pytest.raises(ValueError, match="numeric"):
        d.mean("sex")
    with pytest.raises(ValueError, match="not in data"):
        d.mean("nope")
    with pytest.raises(ValueError, match="level"):
        d.mean("y", level=95)
    with pytest.raises(ValueError, match="probabilities"):
        d.quantile("y", 1.5)
    # boolean variables are proportions
    assert d.proportion("flag")["estimate"].iloc[0] == pytest.approx(
        d.mean("flag")["estimate"].iloc[0]
    )


def test_level_changes_interval_only():
    d = design()
    a, b = d.mean("y", by="sex"), d.mean("y", by="sex", level=0.8)
    np.testing.assert_array_equal(a["se"], b["se"])
    assert ((b["ci_high"] - b["ci_low"]) < (a["ci_high"] - a["ci_low"])).all()


def test_describe_and_properties():
    df = frame()
    d = design(df)
    desc = d.describe()
    assert list(desc.columns) == [
        "stratum",
        "n_psu",
        "n",
        "weight_total",
        "population_size",
        "singleton",
    ]
    assert desc["stratum"].tolist() == ["a", "b", "c"]
    assert desc["n_psu"].tolist() == [4, 4, 4]
    assert desc["n"].sum() == len(df)
    assert desc["weight_total"].sum() == pytest.approx(df["w"].sum())
    assert desc["population_size"].isna().all() and not desc["singleton"].any()
    assert (d.n_psu, d.n_strata, d.degf) == (12, 3, 9)
    assert "12 PSUs" in repr(d)


def test_psus_nested_in_strata():
    df = frame()
    # village labels 1..4 repeat in each stratum: 12 PSUs, not 4
    assert design(df).n_psu == 12
    assert SurveyDesign(df, weight="w", psu="village").n_psu == 4


def test_lonely_fail_only_when_used():
    df = frame()
    df = df[~((df["stratum"] == "c") & (df["village"] != 1))].reset_index(drop=True)
    d = design(df)
    assert d.describe()["singleton"].tolist() == [False, False, True]
    with pytest.raises(InputError, match=r"Stratum \['c'\] has only one PSU") as err:
        d.mean("y")
    assert err.value.what.startswith("Stratum ['c'] has only one PSU")
    assert "lonely_psu" in err.value.fix
    # a domain without the lonely stratum does not touch it
    assert np.isfinite(d.mean("y", where=df["stratum"] != "c")["se"].iloc[0])
    assert design(df, lonely_psu="remove").mean("y")["df"].iloc[0] == 9 - 3  # PSUs - strata


def test_logistic_output_and_odds_ratios():
    df = frame()
    out = design(df).logistic("z", ["x", "sex"])
    assert list(out.columns) == [
        "term",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "df",
        "odds_ratio",
        "or_ci_low",
        "or_ci_high",
        "p_value",
    ]
    assert out["term"].tolist() == ["(Intercept)", "x", "sex[T.m]"]
    np.testing.assert_allclose(out["or_ci_low"], np.exp(out["ci_low"]))
    assert (out["df"] == 9 + 1 - 3).all()
    assert ((out["p_value"] > 0) & (out["p_value"] < 1)).all()
    with pytest.raises(ValueError, match="0/1"):
        design(df).logistic("y", ["x"])
