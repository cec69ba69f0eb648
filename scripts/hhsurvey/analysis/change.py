"""Change between two rounds (baseline -> endline), with design-based standard errors.

A linear indicator (mean, proportion, ratio, total) is estimated in each round by the engine
as an :class:`hhsurvey.engine.design.Estimate`, which carries every unit's influence values. The two
rounds' estimates are stacked into one design (:func:`hhsurvey.engine.design.stack`) and the change
is the contrast endline - baseline of the stacked estimate (:meth:`Estimate.contrast`):

- rounds drawn independently: strata are round x stratum and PSUs are distinct, so the
  variance is exactly Var(endline) + Var(baseline);
- villages revisited (``rounds.<endline>.revisits``): a village keeps its PSU in both rounds
  within its stratum, so its two contributions are summed before the variance and the
  covariance between rounds, -2 Cov, is taken into account;
- ``df`` is counted within the domain: the PSUs of the stacked design that hold the domain
  (in either round) minus their strata, R's ``degf(subset(stacked, domain))``.

Differences-in-differences are contrasts of the same stacked estimate. Quantiles and composite
indicators (replicate-based) are combined as independent samples,
se = sqrt(se_b^2 + se_e^2), df = df_b + df_e, and say so in the ``method`` column.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hhsurvey.analysis.indicators.definitions import indicator_data
from hhsurvey.catalogue.model import Indicator
from hhsurvey.engine.columns import CHANGE_COLUMNS
from hhsurvey.engine.design import SurveyDesign
from hhsurvey.engine.kernels import t_test, tcrit
from hhsurvey.engine.results import Estimate, stack

LINEAR = ("mean", "proportion", "ratio", "total")


def t_inference(change: float, se: float, df: float, level: float) -> dict[str, float | bool]:
    """CI on the t distribution with ``df`` degrees of freedom, two-sided p-value, significance
    (the engine's kernels)."""
    q = float(tcrit(level, df))
    p = float(t_test(change, se, df))
    return {
        "ci_low": change - q * se,
        "ci_high": change + q * se,
        "p_value": p,
        "significant": bool(p < 1 - level) if not np.isnan(p) else False,
    }


def round_designs(
    ind: Indicator, frames: dict[str, dict[str, pd.DataFrame]], design_args: dict[str, Any]
) -> dict[str, SurveyDesign]:
    """Each round's design of a linear indicator (its frame with ``_y``, ``_den``, ``_where``)."""
    out = {}
    for r, fr in frames.items():
        data, weight = indicator_data(ind, fr)
        out[r] = SurveyDesign(data, weight=weight, **design_args)
    return out


def round_estimate(ind: Indicator, design: SurveyDesign, by: str | None, level: float) -> Estimate:
    """The engine's estimate of a linear indicator in its universe, overall or by ``by``."""
    den = "_den" if ind.estimator == "ratio" else None
    return design.estimate(ind.estimator, "_y", den, by=by, where="_where", level=level)


def stacked_rounds(
    ind: Indicator,
    designs: dict[str, SurveyDesign],
    *,
    baseline: str,
    endline: str,
    by: str | None,
    revisited: bool,
    level: float,
) -> tuple[Estimate, dict[tuple[str, str], int]]:
    """Both rounds' estimates stacked into one design, and the table row of each
    (round, level) (level "total" without ``by``)."""
    est = stack(
        {r: round_estimate(ind, designs[r], by, level) for r in (baseline, endline)},
        shared_psus=revisited,
        key="_round",
    )
    t = est.table
    levels = t[by].astype("str") if by else pd.Series("total", index=t.index)
    rows = {(str(r), lev): i for i, (r, lev) in enumerate(zip(t["_round"], levels, strict=True))}
    return est, rows


def did_row(
    ind: Indicator,
    designs: dict[str, SurveyDesign],
    *,
    baseline: str,
    endline: str,
    column: str,
    treated: str,
    comparison: str,
    revisited: bool,
    level: float,
) -> dict | None:
    """Difference-in-differences of a linear indicator between a treated and a comparison area.

    DiD = (endline - baseline in the treated area) - (endline - baseline in the comparison
    area): the contrast (+1, -1, -1, +1) of the four domain estimates of the stacked rounds;
    its df counts the PSUs of both areas in both rounds, minus their strata.
    """
    est, rows = stacked_rounds(
        ind,
        designs,
        baseline=baseline,
        endline=endline,
        by=column,
        revisited=revisited,
        level=level,
    )
    keys = [(r, a) for r in (baseline, endline) for a in (treated, comparison)]
    if any(k not in rows for k in keys):
        return None
    scale = float(ind.scale)
    value = {k: est.estimates[rows[k]] * scale for k in keys}
    coef = {
        rows[(endline, treated)]: scale,
        rows[(endline, comparison)]: -scale,
        rows[(baseline, treated)]: -scale,
        rows[(baseline, comparison)]: scale,
    }
    res = est.contrast(coef, level=level).iloc[0]
    return {
        "indicator": ind.id,
        "domain": "difference-in-differences",
        "level": f"{column}: {treated} vs {comparison}",
        "baseline": value[(baseline, treated)] - value[(baseline, comparison)],
        "baseline_ci_low": np.nan,
        "baseline_ci_high": np.nan,
        "endline": value[(endline, treated)] - value[(endline, comparison)],
        "endline_ci_low": np.nan,
        "endline_ci_high": np.nan,
        **_inference(res, level),
        "method": "difference-in-differences, linearised stacked design"
        + (" (shared PSUs)" if revisited else ""),
    }


def _inference(res: pd.Series, level: float) -> dict[str, Any]:
    """Change columns from a contrast row of the engine."""
    p = float(res["p_value"])
    return {
        "change": float(res["estimate"]),
        "se": float(res["se"]),
        "ci_low": float(res["ci_low"]),
        "ci_high": float(res["ci_high"]),
        "df": float(res["df"]),
        "p_value": p,
        "significant": bool(p < 1 - level) if not np.isnan(p) else False,
    }


def change_table(
    catalogue: list[Indicator],
    frames: dict[str, dict[str, pd.DataFrame]],
    indicators: dict[str, pd.DataFrame],
    *,
    baseline: str,
    endline: str,
    design_args: dict[str, Any],
    revisited: bool,
    by: list[str],
    level: float = 0.95,
    comparison_area: dict | None = None,
) -> pd.DataFrame:
    """Change endline - baseline of every indicator estimated in both rounds.

    ``frames``: each round's analysis frames (``results/{round}/frames/``); ``indicators``:
    each round's indicator table (the baseline and endline columns, with their intervals,
    come from it). With ``comparison_area`` ({column, treated, comparison}), linear
    indicators also get a difference-in-differences row (domain "difference-in-differences");
    the baseline and endline columns then hold the treated-minus-comparison gaps of each round.
    """
    rows: list[dict] = []
    est = {
        r: indicators[r].set_index(["indicator", "domain", "level"]) for r in (baseline, endline)
    }
    for ind in catalogue:
        if ind.id not in set(indicators[baseline]["indicator"]) or ind.id not in set(
            indicators[endline]["indicator"]
        ):
            continue
        linear = ind.estimator in LINEAR
        designs = (
            round_designs(ind, {r: frames[r] for r in (baseline, endline)}, design_args)
            if linear
            else {}
        )
        for domain in ["total", *[b for b in by if b in ind.by]] if linear else ["total"]:
            stacked = (
                stacked_rounds(
                    ind,
                    designs,
                    baseline=baseline,
                    endline=endline,
                    by=None if domain == "total" else domain,
                    revisited=revisited,
                    level=level,
                )
                if linear
                else None
            )
            levels = sorted({lev for _, lev in stacked[1]}) if stacked is not None else ["total"]
            for lev in levels:
                key = (ind.id, domain, lev)
                if key not in est[baseline].index or key not in est[endline].index:
                    continue
                b, e = est[baseline].loc[key], est[endline].loc[key]
                if stacked is not None:
                    st, pos = stacked
                    if (baseline, lev) not in pos or (endline, lev) not in pos:
                        continue
                    scale = float(ind.scale)
                    res = st.contrast(
                        {pos[(baseline, lev)]: -scale, pos[(endline, lev)]: scale}, level=level
                    ).iloc[0]
                    inference = _inference(res, level)
                    method = "linearised, stacked design" + (" (shared PSUs)" if revisited else "")
                else:
                    change = float(e["estimate"] - b["estimate"])
                    se = float(np.hypot(b["se"], e["se"]))
                    df = float(b["df"] + e["df"])
                    inference = {
                        "change": change,
                        "se": se,
                        "df": df,
                        **t_inference(change, se, df, level),
                    }
                    method = "independent samples: sqrt(se_b^2 + se_e^2)"
                rows.append(
                    {
                        "indicator": ind.id,
                        "domain": domain,
                        "level": lev,
                        "baseline": b["estimate"],
                        "baseline_ci_low": b["ci_low"],
                        "baseline_ci_high": b["ci_high"],
                        "endline": e["estimate"],
                        "endline_ci_low": e["ci_low"],
                        "endline_ci_high": e["ci_high"],
                        **inference,
                        "method": method,
                    }
                )
        if linear and comparison_area:
            row = did_row(
                ind,
                designs,
                baseline=baseline,
                endline=endline,
                column=comparison_area["column"],
                treated=str(comparison_area["treated"]),
                comparison=str(comparison_area["comparison"]),
                revisited=revisited,
                level=level,
            )
            if row is not None:
                rows.append(row)
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)
