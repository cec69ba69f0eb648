"""Weights against a hand-computable frame (docs/definitions.md "Weights")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hhsurvey.errors import InputError
from hhsurvey.prepare.weights import household_weights, kish_deff, stage1_probabilities


def frame() -> pd.DataFrame:
    # Stratum urban: villages 1 (size 600), 2 (300), 3 (100); two selected (1, 2).
    #   First pass: pi = 2 * mos / 1000 -> 1.2, 0.6, 0.2: village 1 is a certainty unit.
    #   Second pass over {2, 3} with n = 1: pi = 300/400 = 0.75 and 100/400 = 0.25.
    # Stratum rural: villages 4 (200), 5 (200), one selected (4): pi = 0.5 each.
    return pd.DataFrame(
        {
            "village": [1, 2, 3, 4, 5],
            "area": ["urban", "urban", "urban", "rural", "rural"],
            "mos_hh": [600.0, 300.0, 100.0, 200.0, 200.0],
            "selected": [1, 1, 0, 1, 0],
            "listed_hh": [650.0, 320.0, np.nan, 210.0, np.nan],
            "sampled_hh": [4.0, 4.0, np.nan, 3.0, np.nan],
        }
    )


def households() -> pd.DataFrame:
    rows = (
        # village 1: 4 sampled, one vacant (ineligible), one refused -> factor 3/2
        [(1, 1, "completed"), (1, 2, "completed"), (1, 3, "vacant"), (1, 4, "refused")]
        # village 2: all four complete -> factor 1
        + [(2, h, "completed") for h in range(1, 5)]
        # village 4: 3 sampled, one partly completed (non-respondent) -> factor 3/2
        + [(4, 1, "completed"), (4, 2, "completed"), (4, 3, "partly_completed")]
    )
    return pd.DataFrame(rows, columns=["village", "hh", "result"]).assign(
        area=lambda d: np.where(d["village"] == 4, "rural", "urban")
    )


def test_stage1_certainty_iteration():
    pi = stage1_probabilities(frame())
    np.testing.assert_allclose(pi.to_numpy(), [1.0, 0.75, 0.25, 0.5, 0.5])


def test_household_weights_by_hand():
    w = household_weights(
        frame(), households(), ineligible=["vacant"], responding=["completed"]
    ).set_index(["village", "hh"])
    # design weights: 1 / (pi1 * pi2)
    assert w.loc[(1, 1), "design_weight"] == pytest.approx(1 / (1.0 * 4 / 650))  # 162.5
    assert w.loc[(2, 1), "design_weight"] == pytest.approx(1 / (0.75 * 4 / 320))  # 106.667
    assert w.loc[(4, 1), "design_weight"] == pytest.approx(1 / (0.5 * 3 / 210))  # 140
    # final weights: design weight x eligible / responding within village
    assert w.loc[(1, 1), "weight"] == pytest.approx(162.5 * 3 / 2)
    assert w.loc[(2, 3), "weight"] == pytest.approx(320 / 3)
    assert w.loc[(4, 2), "weight"] == pytest.approx(140 * 3 / 2)
    # non-respondents and ineligible dwellings get zero
    assert w.loc[(1, 3), "weight"] == 0 and w.loc[(1, 4), "weight"] == 0
    assert w.loc[(4, 3), "weight"] == 0
    assert not w.loc[(1, 3), "eligible"] and w.loc[(1, 4), "eligible"]
    # the weighted respondents reproduce the eligible design-weight total of each village
    elig = w[w["eligible"]].groupby("village")["design_weight"].sum()
    resp = w.groupby("village")["weight"].sum()
    np.testing.assert_allclose(resp.to_numpy(), elig.to_numpy())


def test_village_without_respondent_falls_back_to_stratum():
    hh = households()
    hh.loc[hh["village"] == 2, "result"] = "refused"
    w = household_weights(frame(), hh, ineligible=["vacant"], responding=["completed"])
    urban = w[w["area"] == "urban"]
    # eligible design-weight total of the stratum: village 1 (3 x 162.5) + village 2 (4 x 106.67)
    eligible_total = 3 * 162.5 + 4 * 320 / 3
    assert urban["weight"].sum() == pytest.approx(eligible_total)
    # village 1's respondents absorb it: factor (3/2) x (eligible total / (3 x 162.5))
    r = w.set_index(["village", "hh"]).loc[(1, 1)]
    assert r["weight"] == pytest.approx(162.5 * 1.5 * eligible_total / (3 * 162.5))
    assert r["nr_level"] == "village+stratum"


def test_bad_measure_of_size_is_a_clear_error():
    fr = frame()
    fr.loc[2, "mos_hh"] = 0
    with pytest.raises(InputError, match=r"mos_hh.*village\(s\) 3"):
        stage1_probabilities(fr)


def test_village_not_in_frame_is_a_clear_error():
    hh = pd.concat(
        [
            households(),
            pd.DataFrame({"village": [9], "hh": [1], "result": ["completed"], "area": ["rural"]}),
        ]
    )
    with pytest.raises(InputError, match=r"9 \(not in the frame\)"):
        household_weights(frame(), hh, ineligible=["vacant"], responding=["completed"])


def test_kish_deff():
    assert kish_deff([1, 1, 1, 1]) == pytest.approx(1.0)
    assert kish_deff([1, 3]) == pytest.approx(2 * 10 / 16)


def test_raking_reproduces_census_totals_and_keeps_one_weight_per_household():
    from hhsurvey.prepare.weights import calibrate

    hh = household_weights(frame(), households(), ineligible=["vacant"], responding=["completed"])
    resp = hh[hh["responding"]]
    rng = np.random.default_rng(4)
    person = pd.DataFrame(
        [
            (v, h, line, sex, age)
            for v, h in resp[["village", "hh"]].itertuples(index=False)
            for line, (sex, age) in enumerate(
                zip(rng.choice(["male", "female"], 4), rng.integers(0, 80, 4), strict=True), 1
            )
        ],
        columns=["village", "hh", "line", "sex", "age"],
    )
    totals = pd.DataFrame(
        {
            "sex": ["male", "male", "female", "female"],
            "age_group": ["0-29", "30+", "0-29", "30+"],
            "total": [900.0, 1100.0, 1000.0, 1200.0],
        }
    )
    out = calibrate(hh, person, totals, path="totals.csv")
    pw = person.merge(out[["village", "hh", "weight"]], on=["village", "hh"])
    group = np.where(pw["age"] < 30, "0-29", "30+")
    got = pw.groupby([pw["sex"], group])["weight"].sum()
    for row in totals.itertuples():
        assert got[(row.sex, row.age_group)] == pytest.approx(row.total, rel=1e-9)
    # non-respondents stay at zero; the factor is recorded
    assert (out.loc[~out["responding"], "weight"] == 0).all()
    assert (out["weight"] == out["weight_uncalibrated"] * out["calibration_factor"]).all()


def test_raking_with_an_empty_cell_is_a_clear_error():
    from hhsurvey.prepare.weights import calibrate

    hh = household_weights(frame(), households(), ineligible=["vacant"], responding=["completed"])
    resp = hh[hh["responding"]]
    person = resp[["village", "hh"]].assign(line=1, sex="male", age=40.0)
    totals = pd.DataFrame(
        {"sex": ["male", "female"], "age_group": ["0-99", "0-99"], "total": [10.0, 10.0]}
    )
    with pytest.raises(
        InputError, match=r"no respondent in calibration cell\(s\) \['female_0-99'\]"
    ):
        calibrate(hh, person, totals, path="totals.csv")
