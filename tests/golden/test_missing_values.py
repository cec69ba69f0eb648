"""Missing items are excluded, never counted as 0; distress financing is population-weighted
(issue 13 items 2, 3), against R ``survey`` on the same raw values.

``numbers_fixture.planted_round()`` plants a missing visit count (care sought) and a missing
number of nights in the hand-checked round; R (``tests/fixtures/r/make_golden_numbers.R``)
builds every definition itself from the raw columns (``tests/fixtures/r/data/numbers_*.csv``)
and estimates with the units of missing items excluded.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import yaml
from indicator_fixture import weights_table
from numbers_fixture import DATA, export_tables, planted_round
from testpaths import REPO

from hhsurvey.analysis.indicators.estimate import estimate_catalogue
from hhsurvey.catalogue.model import load_catalogue
from hhsurvey.prepare.aggregate import household_aggregates
from hhsurvey.prepare.frames import build_frames
from hhsurvey.prepare.poverty import resolve_lines

ROOT = REPO
CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
GOLDEN = json.loads((ROOT / "tests" / "fixtures" / "r" / "golden_numbers.json").read_text())
IDS = ["opd_visits_per_capita", "alos", "distress_financing", "distress_financing_hh"]


@pytest.fixture(scope="module")
def result() -> pd.DataFrame:
    t = planted_round()
    ind = CONFIG["indicators"]
    agg = household_aggregates(
        t,
        weights_table(),
        strata="area",
        ctp_excluded_food=ind["ctp"]["exclude_food_items"],
        eq_beta=ind["ctp"]["beta"],
    )
    frames = build_frames(
        t,
        agg,
        strata="area",
        u5_excluded_sources=ind["u5_excluded_sources"],
        poverty_lines=resolve_lines(CONFIG["poverty_lines"], CONFIG["prices"]),
    )
    catalogue = [i for i in load_catalogue(str(ROOT / "config" / "indicators.yaml")) if i.id in IDS]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = estimate_catalogue(
            catalogue,
            frames,
            {"strata": "area", "psu": "village", "lonely_psu": "adjust"},
            level=0.95,
            suppress_below=25,
            caution_below=50,
            context={"indicators": ind},
        )
    return out[out["domain"] == "total"].set_index("indicator")


def test_the_r_inputs_are_the_planted_round():
    for name, df in export_tables(planted_round()).items():
        committed = pd.read_csv(
            DATA / f"numbers_{name}.csv", keep_default_na=False, na_values=["NA"]
        )
        got = df.reset_index(drop=True)
        pd.testing.assert_frame_equal(
            got.astype(str), committed.astype(got.dtypes.to_dict()).astype(str), check_dtype=False
        )


@pytest.mark.parametrize(
    ("indicator", "case"),
    [
        ("opd_visits_per_capita", "visits_per_person"),
        ("alos", "alos"),
        ("distress_financing", "distress_pop_weight"),
        ("distress_financing_hh", "distress_weight"),
    ],
)
def test_estimates_equal_r_with_the_missing_units_excluded(result, indicator, case):
    want = GOLDEN[case]
    row = result.loc[indicator]
    assert row["estimate"] == pytest.approx(want["estimate"][0], rel=1e-12), want["call"]
    assert row["se"] == pytest.approx(want["se"][0], rel=1e-9), want["call"]
    assert row["df"] == want["df"][0]
    if indicator != "alos":  # a ratio counts the units of its denominator
        assert row["n_unweighted"] == want["n"][0]
    if "ci_low" in want:  # proportions: the logit interval of svyciprop
        assert row["ci_low"] == pytest.approx(want["ci_low"][0], rel=1e-7)
        assert row["ci_high"] == pytest.approx(want["ci_high"][0], rel=1e-7)


def test_exclusion_by_hand(result):
    """Hand computation: the planted units leave numerator and denominator."""
    # visits: 12 x (2 x 100 + 100 + 150 + 200 + 200 + 3 x 250) x ... hand: with the missing
    # count as 0 the numerator loses 12 x 3 x 250 and the denominator keeps person v4/1/3 (250)
    assert result.loc["opd_visits_per_capita", "estimate"] == pytest.approx(
        12 * (2 * 100 + 100 + 150 + 200 + 200) / (2_900 - 250)
    )
    # ALOS: (4 x 100 + 3 x 150 + 5 x 200 + 8 x 250) / (100 + 150 + 200 + 2 x 250); the
    # admission of v2/1 line 1 (nights missing) is out of both
    assert result.loc["alos", "estimate"] == pytest.approx(3_850 / 950)
