"""Scenario settings and the scenario run on the hand-worked round of ``indicator_fixture``,
shared by the scenario tests of analysis and of the report partial."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import yaml
from testpaths import REPO

from hhsurvey.analysis.scenarios import simulate
from hhsurvey.catalogue.model import load_catalogue
from hhsurvey.prepare.frames import household_frame
from hhsurvey.prepare.poverty import resolve_lines

ROOT = REPO
CATALOGUE = load_catalogue(str(ROOT / "config" / "indicators.yaml"))
CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
IND_CFG = CONFIG["indicators"]
POVERTY = resolve_lines(CONFIG["poverty_lines"], CONFIG["prices"])
DESIGN = {"strata": "area", "psu": "village", "lonely_psu": "adjust"}
FP = ["che_sdg_10", "che_sdg_25", "che_ctp_40", "che_sdg_revised"]
POOR = ["impoverished_national", "impoverished_215"]

# The scenario of make_scenarios.R: outpatient episodes, all four items, capped per episode.
OPD_CAPPED = {
    "id": "opd_capped",
    "label": "Outpatient care up to LAK 50,000 an episode",
    "covers": {"types": ["opd"]},
    "share": 1.0,
    "cap_per_record": 50_000,
}
NOTHING = {"id": "nothing", "label": "Covers nothing", "covers": {"types": []}, "share": 1.0}
EVERYTHING = {"id": "everything", "label": "All OOP, everyone", "covers": {}, "share": 1.0}


def run(tables, agg, packages, **kw) -> pd.DataFrame:
    cfg = {"indicators": FP + POOR, "by": ["area", "quintile"], "packages": packages}
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        # JKn replicates that drop the only village of a quintile domain give NaN there
        warnings.filterwarnings("ignore", "1 replicates gave NaN", RuntimeWarning)
        return simulate(
            tables,
            household_frame(agg, POVERTY),
            CATALOGUE,
            cfg,
            design_args=DESIGN,
            level=0.95,
            indicators=IND_CFG,
            poverty_lines=POVERTY,
            **kw,
        )
