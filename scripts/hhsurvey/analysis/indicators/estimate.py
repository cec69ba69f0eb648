"""Indicators from a declarative catalogue (``config/indicators.yaml``), each design-based.

Every indicator is a domain of one of three designs, never a design built on a module file
alone (docs/definitions.md "Domains"):

- ``person``: all persons of responding households, household weight;
- ``household``: responding households, household weight;
- ``household_pop``: responding households, weight x household size (population-weighted).

Episode, admission, birth and child indicators are person-level domains (a person has at most
one episode, one last birth and one child record; admissions are summed per person). The frames
are built by :mod:`hhsurvey.prepare.frames`.

A catalogue entry (:class:`hhsurvey.catalogue.model.Indicator`) names the unit, a universe (a
boolean expression), a definition (an expression evaluated on the analysis frame, or the name of
a registered function: :mod:`hhsurvey.analysis.indicators.composites`), an estimator type and the
disaggregations. Adding an indicator that reuses an existing definition is a catalogue entry
only. :func:`estimate_catalogue` estimates every entry into one tidy table
(:data:`INDICATOR_COLUMNS`), with small-sample flags and intervals inside each indicator's
support (:mod:`hhsurvey.analysis.indicators.precision`).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

# imported for its registered definitions (FUNCTIONS), which estimate_catalogue looks up
import hhsurvey.analysis.indicators.composites  # noqa: F401
from hhsurvey.analysis.indicators.definitions import FUNCTIONS, evaluate, indicator_data
from hhsurvey.analysis.indicators.precision import PRECISION_DEFAULTS, flag, support_intervals
from hhsurvey.catalogue.model import Indicator
from hhsurvey.engine.columns import N_UNWEIGHTED, TABLE_COLUMNS, N
from hhsurvey.engine.design import SurveyDesign
from hhsurvey.engine.intervals import NOT_ESTIMABLE, precision
from hhsurvey.errors import InputError, first_keys

__all__ = [
    "INDICATOR_COLUMNS",
    "NOT_APPLICABLE",
    "estimate_catalogue",
    "estimate_one",
    "log_lonely_strata",
]

log = logging.getLogger(__name__)

#: Columns of the indicator table (``results/{round}/indicators.csv``): the engine's tidy
#: columns of each indicator and domain level, the DHS flag and the precision flag.
INDICATOR_COLUMNS = [
    "indicator",
    "domain",
    "level",
    *TABLE_COLUMNS,
    "flag",
    "precision",
    "precision_note",
]


#: The ``flag`` of a structural zero: the event is impossible in the domain by construction
#: (catalogue ``applicable``), so the row has no estimate.
NOT_APPLICABLE = "not applicable"


def log_lonely_strata(households: pd.DataFrame, design_args: dict[str, Any]) -> list[str]:
    """Log the strata with a single responding PSU and the rule their variance follows."""
    desc = SurveyDesign(households, weight="weight", **design_args).describe()
    lonely = [str(s) for s in desc.loc[desc["n_psu"] == 1, "stratum"]]
    if lonely and design_args["lonely_psu"] == "fail":
        raise InputError(
            f"stratum {lonely} has a single responding village (lonely PSU), and the config says "
            "design.lonely_psu: fail",
            "config/config.yaml (design.lonely_psu); hh.sav (HH9 result codes of the stratum)",
            "set design.lonely_psu to adjust (default), remove or certainty, or collapse the "
            "stratum with a similar one in frame.csv",
        )
    rule = {
        "adjust": "centred at the grand mean of PSU totals (R survey.lonely.psu = 'adjust')",
        "remove": "contributes no variance (R 'remove')",
        "certainty": "treated as sampled with certainty: no variance (R 'certainty')",
        "fail": "stops the estimation (R 'fail')",
        "collapse": (
            "merged with the next stratum in sorted order (the last stratum with the one "
            "before) and the merged stratum's PSUs give the variance (engine 'collapse')"
        ),
    }[design_args["lonely_psu"]]
    for s in lonely:
        log.warning(
            "stratum %s has a single responding village (lonely PSU); lonely_psu = %s: its "
            "variance contribution is %s. Estimates within that stratum alone have no design "
            "degree of freedom (SE and CI left blank, flagged caution).",
            s,
            design_args["lonely_psu"],
            rule,
        )
    return lonely


def _denominator_counts(
    res: pd.DataFrame, data: pd.DataFrame, weight: str, by: str | None
) -> pd.DataFrame:
    """Set ``n`` and ``n_weighted`` of ratio rows to the units of the denominator.

    The DHS small-sample rule reads the unweighted denominator. For a ratio of totals that is
    the number of units with a non-zero denominator (for mean positive overshoot: the
    households above the threshold), not every unit of the universe: a ratio resting on one
    catastrophic household must be suppressed, not shown with a zero SE.
    """
    units = (
        data["_where"].to_numpy(bool)
        & data["_den"].fillna(0).ne(0).to_numpy()
        & data["_y"].notna().to_numpy()
    )
    w = data[weight].to_numpy("float64")
    if by is None:
        return res.assign(n=int(units.sum()), n_weighted=float(w[units].sum()))
    keys = data.loc[units, by]
    n = keys.value_counts()
    nw = pd.Series(w[units], index=keys.index).groupby(keys, observed=True).sum()
    return res.assign(
        n=res[by].map(n).fillna(0).astype("int64").to_numpy(),
        n_weighted=res[by].map(nw).fillna(0.0).astype("float64").to_numpy(),
    )


def _applicable_counts(
    ind: Indicator, data: pd.DataFrame, res: pd.DataFrame, by: str | None
) -> np.ndarray:
    """Units of each domain's universe for which the event is possible (catalogue
    ``applicable``), one count per row of ``res``."""
    ok = evaluate(data, str(ind.applicable), "applicable expression", ind.id)
    ok = ok.fillna(False).astype(bool) & data["_where"] & data["_y"].notna()
    if by is None:
        return np.full(len(res), int(ok.sum()))
    counts = data.loc[ok, by].astype("str").value_counts()
    return res[by].astype("str").map(counts).fillna(0).astype("int64").to_numpy()


def estimate_one(
    ind: Indicator,
    frames: dict[str, pd.DataFrame],
    design_args: dict[str, Any],
    *,
    level: float,
) -> pd.DataFrame:
    """Estimate one linear indicator overall and by each of its disaggregations."""
    data, weight = indicator_data(ind, frames)
    d = SurveyDesign(data, weight=weight, **design_args)
    rows = []
    for by in (None, *ind.by):
        if by is not None and not data.loc[data["_where"], by].notna().any():
            # e.g. no episode at all in the round: no provider to break the estimate down by
            log.warning("%s: no %s value in the universe; no rows by %s", ind.id, by, by)
            continue
        kw: dict[str, Any] = {"by": by, "where": "_where", "level": level}
        if ind.estimator == "proportion":
            res = d.proportion("_y", **kw)
        elif ind.estimator == "mean":
            res = d.mean("_y", **kw)
        elif ind.estimator == "total":
            res = d.total("_y", **kw)
        elif ind.estimator == "ratio":
            res = d.ratio("_y", "_den", **kw)
        elif ind.estimator == "quantile":
            res = d.quantile("_y", ind.quantile, **kw)
        else:  # pragma: no cover - composite handled by caller
            raise ValueError(ind.estimator)
        if ind.estimator == "ratio":
            res = _denominator_counts(res, data, weight, by)
        if ind.applicable:
            res = res.assign(_applicable=_applicable_counts(ind, data, res, by))
        res = res.assign(
            domain=by or "total",
            level=res[by].astype("str") if by else "total",
        )
        rows.append(res)
    out = pd.concat(rows, ignore_index=True)
    if "_applicable" not in out:
        out = out.assign(_applicable=np.nan)
    scale = float(ind.scale)
    for c in ("estimate", "se", "ci_low", "ci_high"):
        out[c] = out[c] * scale
    return out.assign(indicator=ind.id).rename(columns={N: N_UNWEIGHTED})


def estimate_catalogue(
    catalogue: list[Indicator],
    frames: dict[str, pd.DataFrame],
    design_args: dict[str, Any],
    *,
    level: float,
    suppress_below: int,
    caution_below: int,
    context: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Estimate every catalogue entry; one tidy long table."""
    parts = []
    for ind in catalogue:
        if ind.estimator == "composite":
            if ind.definition not in FUNCTIONS:
                raise InputError(
                    f"indicator '{ind.id}' names the function '{ind.definition}', which does not exist",
                    "config/indicators.yaml",
                    f"use one of {sorted(FUNCTIONS)}",
                )
            res = FUNCTIONS[ind.definition](
                ind, frames, design_args, level=level, context=context or {}
            )
            res = res.assign(indicator=ind.id)
        else:
            res = estimate_one(ind, frames, design_args, level=level)
        parts.append(res)
        log.info("%s: %d rows", ind.id, len(res))
    out = pd.concat(parts, ignore_index=True)
    support = out["indicator"].map({ind.id: ind.value_support for ind in catalogue})
    quantile = out["indicator"].map({ind.id: ind.estimator == "quantile" for ind in catalogue})
    ranges = out["indicator"].map({ind.id: ind.range for ind in catalogue if ind.range})
    out = support_intervals(out, support, level=level, keep=quantile.to_numpy(bool), ranges=ranges)
    out = out.assign(flag=flag(out["n_unweighted"], suppress_below, caution_below))
    # No design degree of freedom left (the domain lies in one PSU, or in the lonely PSU of a
    # stratum): the variance cannot be estimated. Its SE is not zero but unknown.
    no_df = ~(out["df"] > 0) & out["estimate"].notna()
    if no_df.any():
        out.loc[no_df, ["se", "ci_low", "ci_high", "deff"]] = np.nan
        out.loc[no_df & (out["flag"] == ""), "flag"] = "caution"
        log.warning(
            "%d estimate(s) with no design degree of freedom (one PSU): SE and CI left blank, "
            "flagged caution: %s",
            int(no_df.sum()),
            first_keys(sorted(set(out.loc[no_df, "indicator"] + "/" + out.loc[no_df, "level"]))),
        )
    out["n_unweighted"] = out["n_unweighted"].astype("int64")
    rules = ((context or {}).get("indicators") or {}).get("precision") or PRECISION_DEFAULTS
    nchs = out["indicator"].map({ind.id: ind.is_proportion for ind in catalogue})
    out = out.assign(**precision(out, support, rules, level=level, nchs=nchs.to_numpy(bool)))
    # SE 0 with no interval (fewer than two distinct values): the SE is not estimable either
    blank = out["precision"] == NOT_ESTIMABLE
    out.loc[blank, ["se", "ci_low", "ci_high", "deff"]] = np.nan
    out = structural_zeros(out)
    low = out["precision"] == "low"
    if low.any():
        log.info(
            "%d estimate(s) of low precision (NCHS proportions standard, relative SE): %s",
            int(low.sum()),
            first_keys(sorted(set(out.loc[low, "indicator"] + "/" + out.loc[low, "level"]))),
        )
    return out[INDICATOR_COLUMNS]


def structural_zeros(out: pd.DataFrame) -> pd.DataFrame:
    """Rows whose domain holds no unit for which the event is possible (``_applicable`` = 0,
    catalogue ``applicable``): no estimate, flag "not applicable" and the reason."""
    if "_applicable" not in out:
        return out
    na = (out["_applicable"] == 0).to_numpy()
    out = out.drop(columns="_applicable")
    if not na.any():
        return out
    out.loc[na, ["estimate", "se", "ci_low", "ci_high", "deff"]] = np.nan
    out.loc[na, "flag"] = NOT_APPLICABLE
    out.loc[na, "precision"] = ""
    out.loc[na, "precision_note"] = "impossible by construction in this group (structural zero)"
    log.info(
        "%d row(s) not applicable (no unit of the domain can have the event): %s",
        int(na.sum()),
        first_keys(sorted(set(out.loc[na, "indicator"] + "/" + out.loc[na, "level"]))),
    )
    return out
