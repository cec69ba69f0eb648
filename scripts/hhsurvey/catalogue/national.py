"""The unit a national reference figure must have, for each indicator.

``raw/reference/national_lao.csv`` gives national figures with their unit; a figure compared
with an indicator must be in the indicator's unit (or ``percent_che``, context only). The units
follow from the catalogue's ``unit`` (:func:`catalogue_units`); :data:`INDICATOR_UNITS` lists
them for the pipeline's indicators, for a reader without the catalogue at hand (a test keeps the
two equal). Read by the national comparison (:mod:`hhsurvey.analysis.compare`) and by the
report, which names the unit of a national figure outside the catalogue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["CATALOGUE_TO_NATIONAL_UNIT", "INDICATOR_UNITS", "catalogue_units"]

#: Unit of each pipeline indicator. A national figure for it must use the same unit, or
#: ``percent_che`` (context only). Indicators in units that national tables never use
#: (days, concentration indices) are listed so that any comparator for them is rejected.
INDICATOR_UNITS: dict[str, str] = {
    **dict.fromkeys(
        [
            "coverage_any",
            "coverage_sass",
            "coverage_sso",
            "coverage_cbhi",
            "coverage_hef",
            "illness_30d",
            "care_seeking",
            "forgone_cost",
            "oop_budget_share_mean",
            "che_sdg_10",
            "che_sdg_25",
            "che_sdg_10_hh",
            "che_sdg_25_hh",
            "che_ctp_40",
            "che_sdg_revised",
            "impoverished_national",
            "impoverished_215",
            "further_impoverished_national",
            "poverty_headcount_pre",
            "poverty_headcount_post",
            "distress_financing",
            "distress_financing_hh",
            "institutional_delivery",
            "skilled_birth_attendance",
            "u5_ari_care",
            "u5_fever_care",
            "u5_diarrhoea_care",
        ],
        "fraction",
    ),
    "opd_visits_per_capita": "per_capita",
    "admissions_per_1000": "per_1000",
    "alos": "days",
    **dict.fromkeys(["overshoot_10", "mpo_10", "poverty_impact_headcount"], "percentage_points"),
    **dict.fromkeys(
        [
            "oop_episode_mean",
            "oop_episode_median",
            "oop_annual_hh_mean",
            "oop_annual_hh_median",
            "delivery_cost_mean",
        ],
        "lak",
    ),
    **dict.fromkeys(["ci_oop", "ci_che_sdg_10", "ci_care_seeking", "kakwani_oop"], "index"),
}


#: Catalogue unit (config/indicators.yaml) -> unit of a national figure for that indicator.
CATALOGUE_TO_NATIONAL_UNIT: dict[str, str] = {
    "percent": "fraction",
    "percentage_points": "percentage_points",
    "lak": "lak",
    "ratio": "ratio",
    "rate": "per_capita",
    "per_1000": "per_1000",
    "nights": "days",
    "index": "index",
}


def catalogue_units(catalogue: Sequence[Any]) -> dict[str, str]:
    """Unit a national comparator must have, for every indicator of the catalogue (read from
    its ``unit``); units that national tables never use reject any comparator."""
    return {ind.id: CATALOGUE_TO_NATIONAL_UNIT[ind.unit] for ind in catalogue}
