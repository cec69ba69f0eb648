"""Determinants of care-seeking among the ill: a design-based logistic regression.

Written to ``results/{round}/determinants.csv`` by rule ``estimate_indicators`` beside the
indicators; the report prints the odds ratios.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from hhsurvey.engine.columns import CI_HIGH, CI_LOW, DF, ESTIMATE, SE, N
from hhsurvey.engine.design import SurveyDesign

__all__ = ["DETERMINANTS", "DETERMINANT_COLUMNS", "MIN_DETERMINANTS_N", "determinants"]

log = logging.getLogger(__name__)

#: Covariates of the model (columns of the person frame derived in :func:`determinants`).
DETERMINANTS = ["quintile_group", "insurance", "dist_hc_30min", "sex", "age_band"]
#: Columns of determinants.csv: the engine's estimate, SE, interval and df of each term, the
#: odds ratio with its interval, the p-value, and the persons in the model.
DETERMINANT_COLUMNS = [
    "term",
    ESTIMATE,
    SE,
    CI_LOW,
    CI_HIGH,
    DF,
    "odds_ratio",
    "or_ci_low",
    "or_ci_high",
    "p_value",
    N,
]
# Fewer persons with an episode than this (the DHS suppression threshold): no regression.
MIN_DETERMINANTS_N = 25


def determinants(
    person: pd.DataFrame, design_args: dict[str, Any], *, level: float
) -> pd.DataFrame:
    """Design-based logistic regression of care-seeking among the ill (odds ratios).

    Covariates: consumption quintile (reference Q1), insurance (reference not insured),
    travel time to the health centre per 30 minutes, sex (reference female) and age band
    (reference 0-14). Coefficients solve the weighted score equations (the same estimates as a
    weighted binomial GLM); standard errors are linearised with strata and PSUs, as R
    ``svyglm(family=quasibinomial())``; the domain (persons with an episode) is kept by
    zero-weighting.
    """
    age_band = pd.cut(person["age"], [-1, 14, 49, 200], labels=["a0-14", "a15-49", "a50+"])
    data = person.assign(
        _y=(person["ep_sought"] == "yes").astype("float64").where(person["has_episode"]),
        quintile_group="Q" + person["quintile"].astype("str"),
        insurance=np.where(person["insured"] == "yes", "yes", "no"),
        dist_hc_30min=person["dist_hc"] / 30.0,
        sex=person["sex"].astype("str"),
        age_band=age_band.astype("str").where(age_band.notna()),
    )
    y = data.loc[data["has_episode"], "_y"]
    if len(y) < MIN_DETERMINANTS_N or y.nunique() < 2:
        # e.g. a round where nobody was ill: there is nothing to regress (the report says so)
        log.warning(
            "determinants of care-seeking not estimated: %d person(s) with an episode, "
            "outcomes %s (at least %d and both outcomes are needed)",
            len(y),
            sorted(y.dropna().unique().tolist()),
            MIN_DETERMINANTS_N,
        )
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in DETERMINANT_COLUMNS}).astype(
            {"term": "str"}
        )
    d = SurveyDesign(data, weight="weight", **design_args)
    fit = d.logistic("_y", DETERMINANTS, where="has_episode", level=level)
    # n: persons with an episode in the model (the report prints it beside the design df).
    used = data["has_episode"] & data[["_y", *DETERMINANTS]].notna().all(axis=1)
    return fit.assign(n=int(used.sum()))
