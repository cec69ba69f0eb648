"""The pipeline's ``design.convention`` (issue 25): config, schema, and the whole catalogue
estimated in R's and in Stata's convention on the tiny round of ``indicator_fixture``.

The round has 2 strata x 2 villages, so the design df is 4 - 2 = 2; a domain inside one
stratum (an area) has 1 under R's convention and 2 under Stata's. Estimates never change, and
the SEs only where a village loses every value (not the case here for linear indicators).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import yaml
from indicator_fixture import indicator_round, weights_table
from jsonschema import Draft7Validator
from testpaths import REPO

from hhsurvey.analysis.indicators.estimate import estimate_catalogue
from hhsurvey.catalogue.model import load_catalogue
from hhsurvey.prepare.aggregate import household_aggregates
from hhsurvey.prepare.frames import DESIGN_PSU, DESIGN_STRATUM, build_frames, design_args
from hhsurvey.prepare.poverty import resolve_lines

CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
SCHEMA = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
IND = CONFIG["indicators"]
POVERTY = resolve_lines(
    {
        "national": {"lak_per_person_month": 192_000, "price_year": 2013, "source": "test"},
        "international": {"usd_ppp_per_day": 2.15, "ppp_year": 2013, "source": "test"},
        "ppp": {"lak_per_usd_ppp": 3_000.0, "year": 2013, "source": "test"},
    },
    {"base_year": 2013, "cpi": {2013: 100.0}, "source": "test"},
)


def test_config_default_is_r_and_schema_checks_it():
    assert CONFIG["design"]["convention"] == "r"  # the demo's results stay R's
    design = SCHEMA["properties"]["design"]
    assert design["properties"]["convention"]["enum"] == ["r", "stata"]
    assert "collapse" in design["properties"]["lonely_psu"]["enum"]
    errors = list(Draft7Validator(design).iter_errors({**CONFIG["design"], "convention": "spss"}))
    assert errors and "spss" in errors[0].message
    assert design_args({"lonely_psu": "adjust"}) == {
        "strata": DESIGN_STRATUM,
        "psu": DESIGN_PSU,
        "lonely_psu": "adjust",
        "convention": "r",  # a config without the key keeps R's answers
    }


@pytest.fixture(scope="module")
def both() -> dict[str, pd.DataFrame]:
    tables = indicator_round()
    agg = household_aggregates(
        tables,
        weights_table(),
        strata="area",
        ctp_excluded_food=IND["ctp"]["exclude_food_items"],
        eq_beta=IND["ctp"]["beta"],
    )
    frames = build_frames(
        tables,
        agg,
        strata="area",
        u5_excluded_sources=IND["u5_excluded_sources"],
        poverty_lines=POVERTY,
    )
    out = {}
    for convention in ("r", "stata"):
        args = design_args({**CONFIG["design"], "convention": convention})
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out[convention] = estimate_catalogue(
                load_catalogue(str(REPO / "config" / "indicators.yaml")),
                frames,
                args,
                level=0.95,
                suppress_below=25,
                caution_below=50,
                context={"indicators": IND, "poverty_lines": POVERTY},
            )
    return out


def test_stata_convention_changes_df_not_estimates(both):
    key = ["indicator", "domain", "level"]
    m = both["r"].merge(both["stata"], on=key, how="left", suffixes=("", "_s"), indicator=True)
    # a level without any value of the indicator is no domain once those rows are dropped
    # (Stata's over() shows the levels of the estimation sample): R's row of it is empty
    gone = m["_merge"] == "left_only"
    assert gone.any() and m.loc[gone, "estimate"].isna().all()
    r, s = both["r"].merge(both["stata"][key], on=key), both["stata"]
    r, s = r.set_index(key).sort_index(), s.set_index(key).sort_index()
    assert r.index.equals(s.index)
    np.testing.assert_allclose(s["estimate"], r["estimate"], rtol=1e-12, equal_nan=True)
    # R: an area's own df (its 2 villages - 1 stratum); Stata: the design df of the
    # estimation sample (4 - 2 = 2, less where villages have no value of the indicator or of
    # the breakdown, as Stata's over() drops them), the same for every level of a breakdown
    area = (r.index.get_level_values("domain") == "area") & r["se"].notna().to_numpy()
    assert (r.loc[area, "df"] == 1).all() and (s.loc[area, "df"] >= 1).all()
    assert (s.loc[area, "df"] == 2).mean() > 0.8
    shown = s[s["se"].notna()]
    assert (shown.groupby(level=["indicator", "domain"])["df"].nunique() == 1).all()
    # a domain inside one village: no df under R's convention (SE left blank), the design's
    # under Stata's
    row = ("care_seeking", "age_group", "15-24")  # one ill person of 15-24, in one village
    assert r.loc[row, "df"] == 0 and np.isnan(r.loc[row, "se"])
    assert s.loc[row, "df"] == 2 and s.loc[row, "se"] == 0.0
    both_se = r["se"].notna() & (r.index.get_level_values("indicator") == "care_seeking")
    np.testing.assert_allclose(s.loc[both_se, "se"], r.loc[both_se, "se"], rtol=1e-12)
