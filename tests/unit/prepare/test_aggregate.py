"""Household aggregates against a two-household hand computation (docs/definitions.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hhsurvey.prepare.aggregate import (
    amount_columns,
    deflate,
    household_aggregates,
    weighted_quintiles,
)

YN = ["yes", "no", "dont_know", "no_response"]


def cat(values, cats):
    return pd.Categorical(values, categories=cats)


def tables() -> dict[str, pd.DataFrame]:
    household = pd.DataFrame(
        {
            "village": [1, 1],
            "hh": [1, 2],
            "area": cat(["urban", "urban"], ["urban", "rural"]),
            "result": cat(["completed", "completed"], ["completed", "refused"]),
            "med_self_30d": [10_000.0, 0.0],  # HE1: x12
            "other_health_12m": [0.0, 50_000.0],  # HE2: x1
            "dist_hc": [10.0, 30.0],
            "fin_borrowed": cat(["no", "yes"], YN),
            "fin_sold_assets": cat(["no", "no"], YN),
        }
    )
    person = pd.DataFrame(
        {
            "village": [1, 1, 1, 1, 1],
            "hh": [1, 1, 2, 2, 2],
            "line": [1, 2, 1, 2, 3],
            "relation": cat(
                ["head", "spouse", "head", "child", "child"], ["head", "spouse", "child"]
            ),
            "sex": cat(["male", "female", "female", "male", "female"], ["male", "female"]),
            "age": [40.0, 38.0, 30.0, 3.0, 1.0],
            "insured": cat(["yes", "no", "no", "no", "no"], ["yes", "no", "dont_know"]),
            "scheme": cat(["sass", None, None, None, None], ["sass", "cbhi"]),
            "ill_30d": cat(["yes", "no", "no", "yes", "no"], YN),
        }
    )
    food = pd.DataFrame(
        {
            "village": [1, 1, 1],
            "hh": [1, 1, 2],
            "item": cat(
                ["glutinous_rice", "alcohol_tobacco", "fish"],
                ["glutinous_rice", "fish", "alcohol_tobacco"],
            ),
            "buy": [70_000.0, 7_000.0, 0.0],
            "own": [0.0, 0.0, 14_000.0],
            "gift": [0.0, 0.0, 7_000.0],
        }
    )
    nonfood = pd.DataFrame(
        {
            "village": [1, 1, 1, 1],
            "hh": [1, 1, 1, 2],
            "item": cat(
                ["electricity", "clothing", "durables", "water"],
                ["electricity", "clothing", "durables", "water"],
            ),
            "recall": cat(["days30", "months12", "months12", "days30"], ["days30", "months12"]),
            "value": [20_000.0, 300_000.0, 5_000_000.0, 5_000.0],
        }
    )
    costs = [
        "cost_consult",
        "cost_medicine",
        "cost_tests",
        "cost_transport",
        "cost_food",
        "cost_informal",
    ]
    episode = pd.DataFrame(
        {"village": [1, 1], "hh": [1, 2], "line": [1, 2], "sought": cat(["yes", "yes"], YN)}
        | dict(
            zip(
                costs,
                [
                    [5_000.0, 0.0],
                    [20_000.0, 8_000.0],
                    [0.0, 0.0],
                    [15_000.0, 3_000.0],
                    [0.0, 0.0],
                    [1_000.0, 0.0],
                ],
                strict=True,
            )
        )
    )
    admission = pd.DataFrame(
        {"village": [1], "hh": [2], "line": [3], "admission": [1], "nights": [3.0]}
        | dict(
            zip(
                costs,
                [[100_000.0], [200_000.0], [50_000.0], [40_000.0], [30_000.0], [10_000.0]],
                strict=True,
            )
        )
    )
    birth = pd.DataFrame(
        {
            "village": [1, 1],
            "hh": [1, 2],
            "line": [2, 1],
            "months_since": [13.0, 11.0],
            "cost": [900_000.0, 400_000.0],
        }
    )
    return {
        "household": household,
        "person": person,
        "food": food,
        "nonfood": nonfood,
        "episode": episode,
        "admission": admission,
        "birth": birth,
    }


def weights() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "village": [1, 1],
            "hh": [1, 2],
            "area": ["urban", "urban"],
            "weight": [100.0, 50.0],
            "responding": [True, True],
        }
    )


def test_two_household_aggregates_by_hand():
    a = household_aggregates(
        tables(), weights(), strata="area", ctp_excluded_food=["alcohol_tobacco"], eq_beta=0.56
    )
    a = a.set_index("hh")
    # food: (70,000 + 7,000) x 365/7 and (14,000 + 7,000) x 365/7; CTP food drops alcohol
    assert a.loc[1, "food"] == pytest.approx(77_000 * 365 / 7)
    assert a.loc[1, "food_ctp"] == pytest.approx(70_000 * 365 / 7)
    assert a.loc[2, "food"] == pytest.approx(21_000 * 365 / 7)
    # non-food: 30-day x 12 + 12-month; durables excluded
    assert a.loc[1, "nonfood"] == pytest.approx(20_000 * 12 + 300_000)
    assert a.loc[2, "nonfood"] == pytest.approx(5_000 * 12)
    # OOP hh1: 12 x (5,000 + 20,000 + 0 + 1,000) episode + 12 x 10,000 HE1; birth 13 months ago excluded
    assert a.loc[1, "oop_opd"] == pytest.approx(12 * 26_000)
    assert a.loc[1, "oop_selfmed"] == pytest.approx(120_000)
    assert a.loc[1, "oop_delivery"] == 0
    assert a.loc[1, "oop"] == pytest.approx(12 * 26_000 + 120_000)
    # OOP hh2: 12 x 8,000 episode + admission (100k + 200k + 50k + 10k) + HE2 50k + birth 11 months ago
    assert a.loc[2, "oop_ipd"] == pytest.approx(360_000)
    assert a.loc[2, "oop"] == pytest.approx(12 * 8_000 + 360_000 + 50_000 + 400_000)
    # sensitivity variant adds transport and food/lodging
    assert a.loc[1, "oop_incl_transport_food"] == pytest.approx(a.loc[1, "oop"] + 12 * 15_000)
    assert a.loc[2, "oop_incl_transport_food"] == pytest.approx(
        a.loc[2, "oop"] + 12 * 3_000 + 70_000
    )
    # totals, per capita, budget share, composition
    for h, size in [(1, 2), (2, 3)]:
        total = a.loc[h, "food"] + a.loc[h, "nonfood"] + a.loc[h, "oop"]
        assert a.loc[h, "total"] == pytest.approx(total)
        assert a.loc[h, "hhsize"] == size
        assert a.loc[h, "pc_total"] == pytest.approx(total / size)
        assert a.loc[h, "ae_total"] == pytest.approx(total / size**0.56)
        assert a.loc[h, "budget_share"] == pytest.approx(a.loc[h, "oop"] / total)
    assert a.loc[2, "n_u5"] == 2 and a.loc[1, "n_u5"] == 0
    assert a.loc[1, "n_insured"] == 1 and a.loc[1, "n_scheme_sass"] == 1
    assert a.loc[2, "pop_weight"] == pytest.approx(150.0)
    assert bool(a.loc[2, "fin_borrowed"]) and not bool(a.loc[1, "fin_borrowed"])


def test_distress_answers_other_than_yes_or_no_stay_missing():
    """Issue 13: "don't know", no response or a blank is missing, never "no"."""
    t = tables()
    t["household"] = t["household"].assign(
        fin_borrowed=cat(["dont_know", None], YN), fin_sold_assets=cat(["no", "no_response"], YN)
    )
    a = household_aggregates(
        t, weights(), strata="area", ctp_excluded_food=["alcohol_tobacco"], eq_beta=0.56
    ).set_index("hh")
    assert str(a["fin_borrowed"].dtype) == "boolean"
    assert a["fin_borrowed"].isna().all()
    assert a.loc[1, "fin_sold_assets"] == False and pd.isna(a.loc[2, "fin_sold_assets"])  # noqa: E712


def test_quintiles_hold_a_fifth_of_the_population_each():
    rng = np.random.default_rng(1)
    x = pd.Series(rng.lognormal(size=1000))
    w = pd.Series(rng.uniform(1, 3, size=1000))
    q = weighted_quintiles(x, w)
    shares = w.groupby(q, observed=True).sum() / w.sum()
    np.testing.assert_allclose(shares.to_numpy(), 0.2, atol=0.01)
    # poorer quintiles hold lower values
    assert x.groupby(q, observed=True).max().is_monotonic_increasing


def test_deflation_keeps_the_aggregate_identities():
    """A later round's amounts are deflated together: household OOP too (it was left in the
    round's prices while its components and the totals were deflated, so OOP shares and the
    capacity-to-pay and revised SDG catastrophe of an endline mixed two price levels)."""
    a = household_aggregates(
        tables(), weights(), strata="area", ctp_excluded_food=["alcohol_tobacco"], eq_beta=0.56
    )
    d = deflate(a, 0.5, amount_columns(a))
    parts = ["oop_opd", "oop_ipd", "oop_selfmed", "oop_other", "oop_delivery"]
    assert d["oop"].to_numpy() == pytest.approx(d[parts].sum(axis=1).to_numpy())
    assert d["total"].to_numpy() == pytest.approx((d["food"] + d["nonfood"] + d["oop"]).to_numpy())
    assert d["oop"].to_numpy() == pytest.approx(0.5 * a["oop"].to_numpy())
    assert d["budget_share"].to_numpy() == pytest.approx((d["oop"] / d["total"]).to_numpy())
