"""The demo baseline's columns that tests/fixtures/r/make_golden_claims.R reads, as analysis
frames with the pipeline's design columns (the certainty village as its own stratum).

Shared by tests/golden/test_claims_golden.py (against R) and tests/unit/analysis/
test_differences.py (the bookkeeping of the tested differences).
"""

from __future__ import annotations

from functools import cache

import pandas as pd
from testpaths import R_FIXTURES

from hhsurvey.catalogue.model import load_catalogue
from hhsurvey.paths import REPO
from hhsurvey.prepare.frames import design_args, design_columns

#: The design arguments of every estimate on the frames (lonely PSUs as the demo config).
DESIGN = design_args({"lonely_psu": "adjust"})


def _with_design(df: pd.DataFrame, certainty: bool = True) -> pd.DataFrame:
    cols = design_columns(
        df, df["pi1"], strata="area", psu="village", certainty_own_stratum=certainty
    )
    return df.assign(design_stratum=cols["design_stratum"], design_psu=cols["design_psu"])


@cache
def frames(certainty: bool = True) -> dict[str, pd.DataFrame]:
    """person, household and household_pop frames of the exported demo baseline."""
    person = pd.read_csv(R_FIXTURES / "data" / "claims_person.csv")
    person = person.assign(has_episode=person["has_episode"].astype(bool))
    hh = pd.read_csv(R_FIXTURES / "data" / "claims_household.csv")
    hh = hh.assign(pop_weight=hh["weight"] * hh["hhsize"])
    return {
        "person": _with_design(person, certainty),
        "household": _with_design(hh, certainty),
        "household_pop": _with_design(hh, certainty),
    }


@cache
def catalogue() -> dict:
    """The indicator catalogue by id."""
    return {i.id: i for i in load_catalogue(str(REPO / "config" / "indicators.yaml"))}
