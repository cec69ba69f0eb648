"""Tested differences between two domains of one round, with multiplicity control.

A difference the outputs state between two groups of one round (the richest and the poorest
fifth, insured and uninsured people) rests on a design-based test of that difference, never on
two intervals that do not overlap. For each comparison of a family (config ``differences:``,
:func:`comparisons`) the indicator is estimated by the engine in every level of its ``by``
column as one :class:`hhsurvey.engine.results.Estimate`, whose influence values carry the
covariance of the domains (R ``svyby(..., covmat = TRUE)``); the difference a - b is the
contrast of the two rows (R ``svycontrast``), with a t interval and test on the design df
counted within the two domains (R ``degf(subset(design, by %in% c(a, b)))``).

The p-values of a family are adjusted together (:func:`hhsurvey.analysis.inference.adjust_p`:
Benjamini-Hochberg by
default, or Holm, Bonferroni, none); a difference is ``significant`` when its adjusted p-value
is below 1 - level. A comparison whose either side is suppressed (DHS rule) or not applicable
(a structural zero), or whose SE is 0, is listed but not tested and stays out of the family's
adjustment. :func:`domain_differences` writes ``results/{round}/differences.csv``
(:data:`DIFFERENCE_COLUMNS`), which the key messages, the brief and the report read.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hhsurvey.analysis.indicators.definitions import indicator_data
from hhsurvey.analysis.inference import METHODS, adjust_p, minimum_detectable_change
from hhsurvey.catalogue.model import Indicator
from hhsurvey.engine.columns import DIFFERENCE_COLUMNS
from hhsurvey.engine.design import SurveyDesign
from hhsurvey.errors import InputError

__all__ = ["comparisons", "domain_differences"]

log = logging.getLogger(__name__)

#: Flags of a side that keep a pair from being tested.
UNTESTED = ("suppressed", "not applicable")
LINEAR = ("proportion", "mean", "ratio")
WHERE = "config/config.yaml, differences"


def comparisons(config: Mapping[str, Any] | None, catalogue: Sequence[Indicator]) -> pd.DataFrame:
    """The screened pairs of every family of ``config`` (the ``differences`` block): one row
    per (family, indicator, by, level_a, level_b), in the order of the config.

    An indicator that is not in the catalogue, is not a linear estimator or lacks the ``by``
    among its disaggregations is an error naming the family."""
    known = {ind.id: ind for ind in catalogue}
    rows = []
    for fam in (config or {}).get("families") or []:
        for comp in fam["comparisons"]:
            for iid in comp["indicators"]:
                ind = known.get(iid)
                problem = (
                    "is not in the indicator catalogue"
                    if ind is None
                    else f"is estimated as '{ind.estimator}' (only {', '.join(LINEAR)})"
                    if ind.estimator not in LINEAR
                    else f"has no disaggregation by {comp['by']}"
                    if comp["by"] not in ind.by
                    else ""
                )
                if problem:
                    raise InputError(
                        f"the differences family '{fam['id']}' names indicator '{iid}', which "
                        f"{problem}",
                        WHERE,
                        "list linear indicators of config/indicators.yaml whose `by` holds "
                        "the comparison's column",
                    )
                rows.append(
                    {
                        "family": fam["id"],
                        "multiplicity": fam.get("multiplicity", "benjamini_hochberg"),
                        "indicator": iid,
                        "by": comp["by"],
                        "level_a": str(comp["a"]),
                        "level_b": str(comp["b"]),
                    }
                )
    cols = ["family", "multiplicity", "indicator", "by", "level_a", "level_b"]
    return pd.DataFrame(rows, columns=cols)


def _published(indicators: pd.DataFrame) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(indicator, domain, level) -> the published row's flag and count."""
    flags = indicators["flag"].fillna("").astype("str")
    keys = zip(
        indicators["indicator"].astype("str"),
        indicators["domain"].astype("str"),
        indicators["level"].astype("str"),
        strict=True,
    )
    vals = zip(flags, indicators["n_unweighted"], strict=True)
    return {k: {"flag": f, "n": n} for k, (f, n) in zip(keys, vals, strict=True)}


def _pair_rows(
    ind: Indicator,
    pairs: pd.DataFrame,
    frames: dict[str, pd.DataFrame],
    design_args: dict[str, Any],
    published: Mapping[tuple[str, str, str], Mapping[str, Any]],
    level: float,
) -> list[dict[str, Any]]:
    """The contrasts of one indicator and one ``by`` column (all pairs of that column)."""
    by = str(pairs["by"].iloc[0])
    data, weight = indicator_data(ind, frames)
    d = SurveyDesign(data, weight=weight, **design_args)
    den = "_den" if ind.estimator == "ratio" else None
    est = d.estimate(ind.estimator, "_y", den, by=by, where="_where", level=level)
    levels = est.table[by].astype("str").tolist()
    scale = float(ind.scale)
    rows = []
    for p in pairs.to_dict("records"):
        a, b = p["level_a"], p["level_b"]
        side = {g: published.get((ind.id, by, g), {"flag": "", "n": 0}) for g in (a, b)}
        row = p | {
            "flag_a": side[a]["flag"],
            "flag_b": side[b]["flag"],
            "n_a": side[a]["n"],
            "n_b": side[b]["n"],
            "note": "",
        }
        if a not in levels or b not in levels:
            rows.append(row | {"note": "a level of the pair is not in the data"})
            continue
        ia, ib = levels.index(a), levels.index(b)
        res = est.contrast({ia: scale, ib: -scale}, level=level).iloc[0]
        row |= {
            "estimate_a": est.estimates[ia] * scale,
            "estimate_b": est.estimates[ib] * scale,
            "difference": float(res["estimate"]),
            "se": float(res["se"]),
            "ci_low": float(res["ci_low"]),
            "ci_high": float(res["ci_high"]),
            "df": float(res["df"]),
            "p_value": float(res["p_value"]),
        }
        hidden = [f for f in (side[a]["flag"], side[b]["flag"]) if f in UNTESTED]
        if hidden:
            row |= {"note": f"not tested: an estimate of the pair is {hidden[0]}"}
        elif not row["se"] > 0:
            row |= {"note": "not tested: standard error 0 (fewer than two distinct values)"}
        if row["note"]:
            row |= dict.fromkeys(["difference", "se", "ci_low", "ci_high", "p_value"], np.nan)
            if hidden:
                for g, k in ((a, "estimate_a"), (b, "estimate_b")):
                    if side[g]["flag"] in UNTESTED:
                        row[k] = np.nan
        rows.append(row)
    return rows


def domain_differences(
    catalogue: Sequence[Indicator],
    frames: dict[str, pd.DataFrame],
    indicators: pd.DataFrame,
    config: Mapping[str, Any] | None,
    design_args: dict[str, Any],
    *,
    level: float = 0.95,
    power: float = 0.80,
) -> pd.DataFrame:
    """Every screened difference of the ``differences`` config, tested and adjusted per family.

    ``frames``: the round's analysis frames; ``indicators``: its indicators.csv (the DHS flag
    and unweighted count of each side, as published). ``mdc``: the minimum detectable
    difference of a tested pair that is not significant (at ``power``, two-sided 1 - level)."""
    pairs = comparisons(config, catalogue)
    if pairs.empty:
        return pd.DataFrame(columns=DIFFERENCE_COLUMNS)
    known = {ind.id: ind for ind in catalogue}
    published = _published(indicators)
    rows: list[dict[str, Any]] = []
    for (iid, _), grp in pairs.groupby(["indicator", "by"], sort=False):
        rows += _pair_rows(known[iid], grp, frames, design_args, published, level)
    out = pd.DataFrame(rows)
    for c in DIFFERENCE_COLUMNS:
        if c not in out:
            out[c] = np.nan
    out["p_adjusted"] = np.nan
    out["method"] = ""
    out["tests_in_family"] = 0
    for _, grp in out.groupby("family", sort=False):
        method = str(grp["multiplicity"].iloc[0])
        out.loc[grp.index, "p_adjusted"] = adjust_p(grp["p_value"], method)
        tested = int(grp["p_value"].notna().sum())
        out.loc[grp.index, "tests_in_family"] = tested
        out.loc[grp.index, "method"] = (
            "design-based contrast of the two domain estimates (linearised, their covariance "
            f"included); t test on the df of the two domains; {METHODS[method]} over the "
            f"{tested} test(s) of family '{grp['family'].iloc[0]}'"
        )
    out["significant"] = out["p_adjusted"].lt(1 - level)
    tested = out["p_value"].notna() & ~out["significant"]
    mdc = minimum_detectable_change(out["se"], out["df"], level, power)
    out["mdc"] = np.where(tested.to_numpy(), mdc, np.nan)
    log.info(
        "%d difference(s) screened, %d tested, %d significant after adjustment",
        len(out),
        int(out["p_value"].notna().sum()),
        int(out["significant"].sum()),
    )
    return out[DIFFERENCE_COLUMNS]
