"""Change between two rounds (baseline -> endline), with design-based standard errors.

For a linear indicator (mean, proportion, ratio, total) each round's estimate is linearised:
its influence values z_i (for a mean w_i (y_i - ybar) / sum w over the domain; for a ratio
w_i (y_i - R x_i) / sum w x; for a total w_i y_i) are stacked into one design, with the
endline values counted positive and the baseline values negative. The variance of the change
is the with-replacement variance of the PSU totals of that stacked variable:

- rounds drawn independently: strata are round x stratum and PSUs are distinct, so the
  variance is exactly Var(endline) + Var(baseline);
- villages revisited (``rounds.<endline>.revisits``): a village keeps its PSU id in both rounds
  within its stratum, so its two contributions are summed before the variance and the
  covariance between rounds, -2 Cov, is taken into account.

Quantiles and composite indicators (replicate-based) are combined as independent samples,
se = sqrt(se_b^2 + se_e^2), and say so in the ``method`` column.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from hhsurvey.design import SurveyDesign
from hhsurvey.indicators import Indicator, indicator_data

CHANGE_COLUMNS = [
    "indicator",
    "domain",
    "level",
    "baseline",
    "baseline_ci_low",
    "baseline_ci_high",
    "endline",
    "endline_ci_low",
    "endline_ci_high",
    "change",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "p_value",
    "significant",
    "method",
]


def t_inference(change: float, se: float, df: float, level: float) -> dict[str, float | bool]:
    """CI on the t distribution with ``df`` degrees of freedom, two-sided p-value, significance."""
    t = stats.t.ppf(0.5 + level / 2.0, df) if df > 0 else np.nan
    p = float(2 * stats.t.sf(abs(change / se), df)) if se > 0 and df > 0 else np.nan
    return {
        "ci_low": change - t * se,
        "ci_high": change + t * se,
        "p_value": p,
        "significant": bool(p < 1 - level) if not np.isnan(p) else False,
    }


def linear_scores(
    data: pd.DataFrame, weight: str, estimator: str, mask: np.ndarray
) -> tuple[float, np.ndarray]:
    """Estimate and influence values of a linear estimator within a domain (zero outside)."""
    w = data[weight].to_numpy(dtype="float64")
    y = data["_y"].to_numpy(dtype="float64")
    ok = mask & ~np.isnan(y)
    if estimator == "ratio":
        x = data["_den"].to_numpy(dtype="float64")
        ok &= ~np.isnan(x)
        sx = np.sum(w[ok] * x[ok])
        r = np.sum(w[ok] * y[ok]) / sx
        z = np.where(ok, w * (np.nan_to_num(y) - r * np.nan_to_num(x)) / sx, 0.0)
        return float(r), z
    if estimator == "total":
        return float(np.sum(w[ok] * y[ok])), np.where(ok, w * np.nan_to_num(y), 0.0)
    sw = np.sum(w[ok])
    m = np.sum(w[ok] * y[ok]) / sw
    return float(m), np.where(ok, w * (np.nan_to_num(y) - m) / sw, 0.0)


def stacked_change(
    parts: list[tuple[pd.DataFrame, np.ndarray, int]],
    *,
    strata: str,
    psu: str,
    revisited: bool,
    lonely_psu: str = "adjust",
) -> tuple[float, float]:
    """SE and df of sum(sign x scores) over rounds, from one stacked design.

    ``parts`` holds, per round, its frame (with strata and PSU columns), its influence values
    and the sign (+1 endline, -1 baseline).
    """
    frames = []
    for k, (frame, z, sign) in enumerate(parts):
        tag = "" if revisited else f"r{k}:"
        frames.append(
            pd.DataFrame(
                {
                    "_stratum": tag + frame[strata].astype("str").to_numpy(),
                    "_psu": tag + frame[psu].astype("str").to_numpy(),
                    "_d": sign * z,
                    "_one": 1.0,
                }
            )
        )
    stacked = pd.concat(frames, ignore_index=True)
    res = SurveyDesign(
        stacked, weight="_one", strata="_stratum", psu="_psu", lonely_psu=lonely_psu
    ).total("_d")
    return float(res["se"].iloc[0]), float(res["df"].iloc[0])


def _masks(frame: pd.DataFrame, by: list[str]) -> list[tuple[str, str, np.ndarray]]:
    out = [("total", "total", np.ones(len(frame), dtype=bool))]
    for b in by:
        for lev in sorted(frame[b].dropna().astype("str").unique()):
            out.append((b, lev, (frame[b].astype("str") == lev).to_numpy()))
    return out


def did_row(
    ind: Indicator,
    prepared: dict[str, tuple[pd.DataFrame, str]],
    *,
    baseline: str,
    endline: str,
    column: str,
    treated: str,
    comparison: str,
    design_args: dict[str, Any],
    revisited: bool,
    level: float,
) -> dict | None:
    """Difference-in-differences of a linear indicator between a treated and a comparison area.

    DiD = (endline - baseline in the treated area) - (endline - baseline in the comparison
    area); its variance is that of the stacked influence values
    (z_eT - z_bT) - (z_eC - z_bC) over the PSUs of both rounds.
    """
    est: dict[tuple[str, str], float] = {}
    parts = []
    for r, sign in ((baseline, -1), (endline, 1)):
        data, weight = prepared[r]
        where = data["_where"].to_numpy(dtype=bool)
        z_round = np.zeros(len(data))
        for area, area_sign in ((treated, 1), (comparison, -1)):
            mask = where & (data[column].astype("str") == area).to_numpy()
            if not mask.any():
                return None
            value, z = linear_scores(data, weight, ind.estimator, mask)
            est[(r, area)] = value * ind.scale
            z_round = z_round + area_sign * z * ind.scale
        parts.append((data, z_round, sign))
    did = (est[(endline, treated)] - est[(baseline, treated)]) - (
        est[(endline, comparison)] - est[(baseline, comparison)]
    )
    se, df = stacked_change(
        parts,
        strata=design_args["strata"],
        psu=design_args["psu"],
        revisited=revisited,
        lonely_psu=design_args.get("lonely_psu", "adjust"),
    )
    return {
        "indicator": ind.id,
        "domain": "difference-in-differences",
        "level": f"{column}: {treated} vs {comparison}",
        "baseline": est[(baseline, treated)] - est[(baseline, comparison)],
        "baseline_ci_low": np.nan,
        "baseline_ci_high": np.nan,
        "endline": est[(endline, treated)] - est[(endline, comparison)],
        "endline_ci_low": np.nan,
        "endline_ci_high": np.nan,
        "change": did,
        "se": se,
        "df": df,
        **t_inference(did, se, df, level),
        "method": "difference-in-differences, linearised stacked design",
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

    With ``comparison_area`` ({column, treated, comparison}), linear indicators also get a
    difference-in-differences row (domain "difference-in-differences"); the baseline and
    endline columns then hold the treated-minus-comparison gaps of each round.
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
        linear = ind.estimator in ("mean", "proportion", "ratio", "total")
        doms = [b for b in by if b in ind.by] if linear else []
        prepared = (
            {r: indicator_data(ind, frames[r]) for r in (baseline, endline)} if linear else {}
        )
        labels = _masks(prepared[baseline][0], doms) if linear else [("total", "total", None)]
        for domain, lev, _ in labels:
            key = (ind.id, domain, lev)
            if key not in est[baseline].index or key not in est[endline].index:
                continue
            b, e = est[baseline].loc[key], est[endline].loc[key]
            change = float(e["estimate"] - b["estimate"])
            if linear:
                parts = []
                for r, sign in ((baseline, -1), (endline, 1)):
                    data, weight = prepared[r]
                    mask = data["_where"].to_numpy(dtype=bool)
                    if domain != "total":
                        mask = mask & (data[domain].astype("str") == lev).to_numpy()
                    _, z = linear_scores(data, weight, ind.estimator, mask)
                    parts.append((data, z * ind.scale, sign))
                se, df = stacked_change(
                    parts,
                    strata=design_args["strata"],
                    psu=design_args["psu"],
                    revisited=revisited,
                    lonely_psu=design_args.get("lonely_psu", "adjust"),
                )
                method = "linearised, stacked design" + (" (shared PSUs)" if revisited else "")
            else:
                se = float(np.hypot(b["se"], e["se"]))
                df = float(b["df"] + e["df"])
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
                    "change": change,
                    "se": se,
                    "df": df,
                    **t_inference(change, se, df, level),
                    "method": method,
                }
            )
        if linear and comparison_area:
            row = did_row(
                ind,
                prepared,
                baseline=baseline,
                endline=endline,
                column=comparison_area["column"],
                treated=str(comparison_area["treated"]),
                comparison=str(comparison_area["comparison"]),
                design_args=design_args,
                revisited=revisited,
                level=level,
            )
            if row is not None:
                rows.append(row)
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)
