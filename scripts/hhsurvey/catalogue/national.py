"""The unit a national reference figure must have, for each indicator.

``raw/reference/national_lao.csv`` gives national figures with their unit; a figure compared
with an indicator must be in the indicator's unit (or ``percent_che``, context only). The units
follow from the catalogue's ``unit`` (:func:`catalogue_units`); :data:`INDICATOR_UNITS` lists
them for the pipeline's indicators, for a reader without the catalogue at hand (a test keeps the
two equal). Read by the national comparison (:mod:`hhsurvey.analysis.compare`) and by the
report, which names the unit of a national figure outside the catalogue.

:func:`verdict_basis` is the one rule that decides whether a district estimate may be called
higher or lower than a national figure; :func:`comparable` applies it to the rows of
``national_comparison.csv``. The comparison (which tests only such rows), the report, the brief
and the change report all read it, so they agree on which comparators are comparable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from hhsurvey.cells import finite, truthy

__all__ = [
    "CATALOGUE_TO_NATIONAL_UNIT",
    "INDICATOR_UNITS",
    "SOURCE_TYPES",
    "catalogue_units",
    "comparable",
    "verdict_basis",
]

#: What a national figure comes from (``source_type`` of ``raw/reference/national_lao.csv``):
#: a sample survey, administrative records (scheme membership, facility reports), national
#: accounts (health expenditure), or another kind (a modelled figure, a secondary page).
SOURCE_TYPES = ("survey", "administrative", "accounts", "other")


def verdict_basis(
    *,
    source_type: Any,
    comparability: Any,
    uncertain: Any = False,
    national_se: Any = None,
    national_ci_low: Any = None,
    national_ci_high: Any = None,
    assumption: Any = "",
) -> str:
    """Why no verdict ("higher/lower than national") may be given, or "" when one may.

    A verdict needs all of: a national figure from a **survey** (administrative records,
    national accounts and other sources are for context only); the **same definition**
    (``comparability == "comparable"``); a figure not marked uncertain; a **known or bounded
    uncertainty** of the national figure (a published SE or CI); and a district estimate that
    does not rest on an assumption (e.g. a poverty line marked ASSUMPTION). The test itself
    (:func:`hhsurvey.analysis.compare.compare_national`) then says higher, lower or not
    distinguishable.
    """
    kind = "" if source_type is None or pd.isna(source_type) else str(source_type).strip()
    if kind != "survey":
        what = {
            "administrative": "an administrative figure",
            "accounts": "a national-accounts figure",
            "": "a figure whose source type is not stated",
        }.get(kind, "not a survey estimate")
        return f"{what}: for context only"
    if str(comparability).strip() != "comparable":
        return "the definition differs from ours: for context only"
    if truthy(uncertain):
        return "uncertain source: for context only"
    ci = finite(national_ci_low) and finite(national_ci_high)
    if not (finite(national_se) or ci):
        return "the national figure's uncertainty is not published: for context only"
    text = "" if assumption is None or pd.isna(assumption) else str(assumption).strip()
    if text:
        return f"{text}: for context only"
    return ""


def comparable(comparison: pd.DataFrame) -> pd.Series:
    """The rows of a comparison table (``national_comparison.csv``) whose comparator supports
    a verdict (:func:`verdict_basis` on the row's columns); a row without a national figure is
    not comparable."""
    cols = (
        "source_type",
        "comparability",
        "uncertain",
        "national_se",
        "national_ci_low",
        "national_ci_high",
        "assumption",
    )

    def ok(r: Mapping[str, Any]) -> bool:
        if not finite(r.get("national_value")):
            return False
        return verdict_basis(**{c: r.get(c) for c in cols}) == ""

    return pd.Series([ok(r) for r in comparison.to_dict("records")], index=comparison.index)


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
