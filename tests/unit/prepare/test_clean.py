"""Cleaning rules and their log; raw, clean and excluded row counts reconcile."""

from __future__ import annotations

import pandas as pd
import pytest
from canonical_fixture import PARAMS, tiny_round

from hhsurvey.prepare.clean import clean_tables, impute_median
from hhsurvey.survey.io import empty_special

CLEAN_PARAMS = PARAMS | {"strata": "area", "extreme_amounts": "keep", "cap_percentile": 99}


def run(t, special=None, **over):
    return clean_tables(t, special if special is not None else empty_special(), CLEAN_PARAMS | over)


def test_rows_reconcile_and_exclusions_are_listed():
    t = tiny_round()
    # a food record of the refused household (village 1, hh 2) is outside the analysis
    t["food"] = pd.concat([t["food"], t["food"].iloc[[0]].assign(hh=2)], ignore_index=True)
    clean, log, excluded, recon = run(t)
    assert recon["reconciles"].all()
    row = recon.set_index("table").loc["food"]
    assert (row["raw"], row["clean"], row["excluded"]) == (3, 2, 1)
    assert excluded.to_dict("records") == [
        {
            "table": "food",
            "keys": "village=1, hh=2, item=fish",
            "reason": "household did not complete the interview",
        }
    ]


def test_dont_know_cells_are_logged():
    special = empty_special()
    special = pd.DataFrame(
        {
            "table": ["episode"],
            "keys": ["village=1, hh=1, line=1"],
            "column": ["cost_tests"],
            "raw_variable": ["OP5C"],
            "code": [9999998],
            "meaning": ["dont_know"],
        }
    ).astype(special.dtypes.to_dict())
    _, log, _, _ = run(tiny_round(), special)
    row = log[log["rule"] == "dk_refused_to_missing"].iloc[0]
    assert (row["variable"], row["old_value"], row["new_value"]) == (
        "cost_tests",
        "9999998 (dont_know)",
        "missing",
    )


def test_no_care_episode_blank_spending_is_zero():
    clean, log, _, _ = run(tiny_round())
    ep = clean["episode"].set_index("line")
    assert ep.loc[3, "cost_medicine"] == 0
    assert (log["rule"] == "no_care_zero_spending").sum() == 6


def test_imputation_median_same_item_same_stratum_logged_and_flagged():
    t = tiny_round()
    ep = pd.concat([t["episode"]] * 3, ignore_index=True).assign(line=[1, 3, 1, 3, 1, 3])
    # make three urban episodes with care: medicines 1,000 / 4,000 / missing -> median 2,500
    ep = (
        ep[ep["line"] == 1]
        .reset_index(drop=True)
        .assign(hh=1, village=1, line=[1, 2, 9], cost_medicine=[1_000.0, 4_000.0, None])
    )
    t["episode"] = ep
    t["person"] = pd.concat([t["person"], t["person"].iloc[[0]].assign(line=9)], ignore_index=True)
    clean, log, _, _ = run(t)
    got = clean["episode"].set_index("line")
    assert got.loc[9, "cost_medicine"] == pytest.approx(2_500.0)
    assert bool(got.loc[9, "cost_medicine_imputed"]) and not bool(
        got.loc[1, "cost_medicine_imputed"]
    )
    row = log[(log["rule"] == "impute_median") & (log["variable"] == "cost_medicine")].iloc[0]
    assert row["keys"] == "village=1, hh=1, line=9" and row["new_value"] == "2500.0"


def test_impute_median_falls_back_to_all_strata_then_zero():
    df = pd.DataFrame(
        {"item": ["a", "a", "a", "b"], "s": ["u", "r", "r", "u"], "x": [None, 10.0, 30.0, None]}
    )
    new, src = impute_median(df, "x", ["item", "s"], pd.Series(True, index=df.index))
    assert new.tolist() == [20.0, 10.0, 30.0, 0.0]
    assert src.tolist()[0] == "all strata" and src.tolist()[3] == "zero"


def test_out_of_range_and_negative_values_set_missing_and_logged():
    t = tiny_round()
    t["person"]["age"] = [120.0, 30, 35, 28, 2]
    t["household"]["med_self_30d"] = [-5.0, None, 0.0]
    clean, log, _, _ = run(t)
    assert pd.isna(clean["person"].loc[0, "age"])
    assert {"out_of_range_to_missing", "negative_to_missing"} <= set(log["rule"])


def test_extreme_amounts_capped_when_configured():
    t = tiny_round()
    n = 30
    t["food"] = pd.DataFrame(
        {
            "village": 1,
            "hh": 1,
            "item": pd.Categorical(["fish"] * n, categories=t["food"]["item"].cat.categories),
            "buy": [10_000.0 + 100 * i for i in range(n - 1)] + [450_000_000.0],
            "own": 0.0,
            "gift": 0.0,
        }
    )
    clean, log, _, _ = run(t, extreme_amounts="cap", cap_percentile=95)
    capped = log[log["rule"] == "extreme_capped"]
    assert len(capped) == 1 and clean["food"]["buy"].max() < 450_000_000.0
    kept, log2, _, _ = run(t)
    assert kept["food"]["buy"].max() == 450_000_000.0 and "extreme_capped" not in set(log2["rule"])


def test_no_imputation_logged_for_households_that_did_not_respond():
    # tiny_round: village 1, hh 2 refused; its blank self-medication and other spending are
    # not amounts of an interview, so they are neither imputed nor logged
    clean, log, _, _ = run(tiny_round())
    imputed = log[log["rule"] == "impute_median"]
    assert not imputed["keys"].str.contains("village=1, hh=2").any()
    hh = clean["household"].set_index(["village", "hh"])
    assert pd.isna(hh.loc[(1, 2), "med_self_30d"]) and pd.isna(hh.loc[(1, 2), "other_health_12m"])
    assert not bool(hh.loc[(1, 2), "med_self_30d_imputed"])
    # a responding household's blank amount is still imputed and logged
    t = tiny_round()
    t["household"]["med_self_30d"] = [10_000.0, None, None]
    clean, log, _, _ = run(t)
    row = log[(log["rule"] == "impute_median") & (log["variable"] == "med_self_30d")]
    assert row["keys"].tolist() == ["village=2, hh=1"]
    # no rural donor and no item to fall back on: the documented last resort, zero
    assert clean["household"].loc[2, "med_self_30d"] == 0.0
    assert bool(clean["household"].loc[2, "med_self_30d_imputed"])
