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

Every row then gets the flags of the estimates it rests on and its own
(:func:`change_flags`): a change built on a suppressed (or structurally impossible) estimate
is not published (no change, SE, interval or test, and the suppressed round's estimate is
blank); a change with a standard error of 0 is "not estimable" (no interval, no test); a change
that is not significant carries its minimum detectable change at the configured power,
MDC = (t(1 - alpha/2, df) + t(power, df)) x SE, from its realised SE.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hhsurvey.analysis.indicators.definitions import indicator_data
from hhsurvey.analysis.inference import adjust_p, minimum_detectable_change
from hhsurvey.catalogue.model import Indicator
from hhsurvey.engine.columns import CHANGE_COLUMNS
from hhsurvey.engine.design import SurveyDesign
from hhsurvey.engine.intervals import NOT_ESTIMABLE
from hhsurvey.engine.kernels import t_test, tcrit
from hhsurvey.engine.results import Estimate, stack

LINEAR = ("mean", "proportion", "ratio", "total")
#: Flags that keep a change from being published, strictest first.
UNPUBLISHED = ("suppressed", "not applicable")
DID_DOMAIN = "difference-in-differences"


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


def _change_inference(
    ind: Indicator,
    b: pd.Series,
    e: pd.Series,
    stacked: tuple[Estimate, dict[tuple[str, str], int]] | None,
    roles: tuple[str, str],
    lev: str,
    revisited: bool,
    level: float,
) -> tuple[dict[str, Any], str]:
    """The change of one (indicator, domain level) and its variance method: the contrast of the
    stacked rounds (linear), else the two SEs combined as independent samples."""
    if stacked is not None:
        st, pos = stacked
        scale = float(ind.scale)
        res = st.contrast(
            {pos[(roles[0], lev)]: -scale, pos[(roles[1], lev)]: scale}, level=level
        ).iloc[0]
        return _inference(res, level), "linearised, stacked design" + (
            " (shared PSUs)" if revisited else ""
        )
    change = float(e["estimate"] - b["estimate"])
    se = float(np.hypot(b["se"], e["se"]))
    df = float(b["df"] + e["df"])
    inference = {"change": change, "se": se, "df": df, **t_inference(change, se, df, level)}
    return inference, "independent samples: sqrt(se_b^2 + se_e^2)"


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
    power: float = 0.80,
    rules: dict | None = None,
    multiplicity: str = "benjamini_hochberg",
) -> pd.DataFrame:
    """Change endline - baseline of every indicator estimated in both rounds.

    ``frames``: each round's analysis frames (``results/{round}/frames/``); ``indicators``:
    each round's indicator table (the baseline and endline columns, with their intervals,
    come from it). With ``comparison_area`` ({column, treated, comparison}), linear
    indicators also get a difference-in-differences row (domain "difference-in-differences");
    the baseline and endline columns then hold the treated-minus-comparison gaps of each round.
    ``power`` is that of the minimum detectable change; ``rules`` the precision rules
    (config ``indicators.precision``) and ``multiplicity`` the adjustment of the headline
    family, read by :func:`change_flags`.
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
                if stacked is not None and not all(
                    (r, lev) in stacked[1] for r in (baseline, endline)
                ):
                    continue
                inference, method = _change_inference(
                    ind, b, e, stacked, (baseline, endline), lev, revisited, level
                )
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
    table = pd.DataFrame(rows, columns=CHANGE_COLUMNS[: CHANGE_COLUMNS.index("method") + 1])
    return change_flags(
        table,
        indicators,
        catalogue,
        baseline=baseline,
        endline=endline,
        level=level,
        power=power,
        rules=rules,
        multiplicity=multiplicity,
    )


def _stricter(flags: list[str]) -> str:
    for f in (*UNPUBLISHED, "caution"):
        if f in flags:
            return f
    return ""


def _row_flags(
    tables: dict[str, pd.DataFrame], role: str, iid: str, domain: str, level: str, col: str
) -> str:
    """The ``col`` value (flag or precision) of the estimate a change row rests on in one
    round; a difference-in-differences row rests on both areas' estimates (the stricter)."""
    t = tables[role]
    if domain != DID_DOMAIN:
        return str(t.get((iid, domain, level), {}).get(col, "") or "")
    column, _, pair = level.partition(": ")
    treated, _, comparison = pair.partition(" vs ")
    vals = [str(t.get((iid, column, g), {}).get(col, "") or "") for g in (treated, comparison)]
    if col == "flag":
        return _stricter(vals)
    return NOT_ESTIMABLE if NOT_ESTIMABLE in vals else ("low" if "low" in vals else "")


def change_flags(
    table: pd.DataFrame,
    indicators: dict[str, pd.DataFrame],
    catalogue: list[Indicator],
    *,
    baseline: str,
    endline: str,
    level: float,
    power: float,
    rules: dict | None = None,
    multiplicity: str = "benjamini_hochberg",
) -> pd.DataFrame:
    """The change table with the flags of the estimates each change rests on and its own.

    ``baseline_flag``/``endline_flag``: the DHS flag (or "not applicable") of the round's
    estimate; ``flag``: the stricter of the two. A change resting on a suppressed or
    not-applicable estimate is not published: change, SE, interval, df, test and MDC blank, and
    the suppressed round's estimate and interval blank too. ``baseline_precision`` /
    ``endline_precision``: the precision flag of each estimate; ``precision`` of the change:
    "not estimable" when its SE is 0 (no interval, no test), "low" when the interval of a change
    in a proportion is at least ``max_ci_width`` (30 points) wide, the NCHS absolute-width
    criterion; fewer than ``review_df_below`` df adds a note. ``mdc``: the minimum detectable
    change of every tested change that is not significant (for the headline family: not
    significant after the adjustment either). ``p_adjusted``: the p-values of the
    headline family (the overall change of each indicator with a catalogue ``key_rank``, the
    change report's summary) adjusted together by ``multiplicity``; ``significant`` stays the
    test of each row on its own.
    """
    rules = rules or {}
    cols = ["flag", "precision"]
    tables = {}
    for role, name in (("baseline", baseline), ("endline", endline)):
        t = indicators[name]
        keys = zip(
            t["indicator"].astype(str), t["domain"].astype(str), t["level"].astype(str), strict=True
        )
        recs = (
            t.reindex(columns=cols).map(lambda x: "" if pd.isna(x) else str(x)).to_dict("records")
        )
        tables[role] = dict(zip(keys, recs, strict=True))
    units = {ind.id: ind.value_support for ind in catalogue}
    out = table.copy()
    for role in ("baseline", "endline"):
        for col in cols:
            out[f"{role}_{col}"] = [
                _row_flags(tables, role, str(i), str(d), str(lv), col)
                for i, d, lv in zip(out["indicator"], out["domain"], out["level"], strict=True)
            ]
    out["flag"] = [
        _stricter([b, e]) for b, e in zip(out["baseline_flag"], out["endline_flag"], strict=True)
    ]
    hidden = out["flag"].isin(UNPUBLISHED).to_numpy()
    blank = ["change", "se", "ci_low", "ci_high", "df", "p_value"]
    out.loc[hidden, blank] = np.nan
    for role in ("baseline", "endline"):
        gone = out[f"{role}_flag"].isin(UNPUBLISHED).to_numpy()
        out.loc[gone, [role, f"{role}_ci_low", f"{role}_ci_high"]] = np.nan
    se = out["se"].to_numpy("float64")
    zero = (se == 0) & ~hidden
    out.loc[zero, ["ci_low", "ci_high", "p_value"]] = np.nan
    out["significant"] = out["significant"].astype(bool) & out["p_value"].notna()
    width = (out["ci_high"] - out["ci_low"]).to_numpy("float64")
    prop = out["indicator"].map(units).eq("proportion").to_numpy()
    low = prop & (width >= rules.get("max_ci_width", 0.30))
    df = out["df"].to_numpy("float64")
    review = rules.get("review_df_below", 8)
    notes = []
    for i in range(len(out)):
        n = []
        if zero[i]:
            n.append("standard error 0: fewer than two distinct values, no interval or test")
        if low[i]:
            n.append(
                f"confidence interval {100 * width[i]:.0f} points wide "
                f"(limit {100 * rules.get('max_ci_width', 0.30):.0f})"
            )
        if review and 0 < df[i] < review and not hidden[i]:
            n.append(f"{df[i]:.0f} degrees of freedom (fewer than {review}): review")
        notes.append("; ".join(n))
    out["precision"] = np.where(zero, NOT_ESTIMABLE, np.where(low, "low", ""))
    out["precision_note"] = notes
    # the headline family: the overall change of every key indicator, adjusted together
    ranked = {ind.id for ind in catalogue if ind.key_rank is not None}
    family = (out["domain"] == "total") & out["indicator"].isin(ranked)
    out["p_adjusted"] = np.nan
    out.loc[family, "p_adjusted"] = adjust_p(out.loc[family, "p_value"], multiplicity)
    # not significant, on its own or (headline family) after the adjustment
    quiet = ~out["significant"] | (family & ~out["p_adjusted"].lt(1 - level))
    tested = out["p_value"].notna() & quiet
    mdc = minimum_detectable_change(out["se"], out["df"], level, power)
    out["mdc"] = np.where(tested.to_numpy(), mdc, np.nan)
    return out[CHANGE_COLUMNS]
