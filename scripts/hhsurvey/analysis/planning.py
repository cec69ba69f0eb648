"""Endline planning from a baseline: minimum detectable change and the sample it takes.

For each headline indicator the baseline gives its estimate, standard error, design effect
(``deff``), design degrees of freedom (``df``) and unweighted denominator (``n``). With ``a``
responding villages, ``h`` responding households and ``H`` strata at baseline (docs/methods.md,
"Endline planning"; DHS/MICS sample-size practice with a design effect):

* units per household  ``u = n / h``; cluster size ``m = n / a``;
* element variance  ``S2 = n se^2 / deff`` (``p (1 - p)`` for a proportion, up to finite
  population and weighting terms);
* intra-cluster correlation  ``rho = (deff - 1) / (m - 1)`` (from ``deff = 1 + (m - 1) rho``),
  at least 0;
* an endline of ``A`` villages x ``B`` households: ``m_E = B u``, ``deff_E = 1 + (m_E - 1) rho``,
  ``V_E = S2 deff_E / (A B u)``; the baseline variance ``V_B = se^2`` is already fixed;
* variance of the change: ``V_B + V_E`` for an independent endline sample,
  ``V_B + V_E - 2 r sqrt(V_B V_E)`` when the same villages are revisited (``r``: the assumed
  correlation of the two rounds' estimates, config ``planning.revisit_correlation``);
* minimum detectable change  ``MDC = (t(1 - alpha/2, df) + t(power, df)) sqrt(Var(change))``
  with ``df = df_B + (A - H)`` for independent samples and ``A - H`` for revisited villages;
* villages needed for a target change ``delta`` with ``B`` households per village: the smallest
  ``A`` with ``MDC(A) <= delta`` (none when the baseline's own variance is already too large).
  With revisited villages the variance of the change is smallest at ``V_E = r^2 V_B`` and
  grows again beyond it, so the search stops there.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hhsurvey.engine.distributions import t_ppf

COLUMNS = [
    "indicator",
    "estimate",
    "se",
    "deff",
    "df",
    "n",
    "cluster_size",
    "icc",
    "element_variance",
    "endline_villages",
    "endline_households",
    "mdc_independent",
    "mdc_revisit",
    "target_change",
    "villages_needed_independent",
    "households_needed_independent",
    "villages_needed_revisit",
    "households_needed_revisit",
    "note",
]
MAX_VILLAGES = 100_000


def multiplier(df: float, alpha: float, power: float) -> float:
    """t(1 - alpha/2, df) + t(power, df): the distance, in SEs, a change must lie from 0."""
    return float(t_ppf(1 - alpha / 2, df) + t_ppf(power, df))


def change_variance(v_b: float, v_e: float, r: float | None) -> float:
    """Variance of endline - baseline: independent (r None) or correlated rounds."""
    if r is None:
        return v_b + v_e
    return v_b + v_e - 2 * r * math.sqrt(v_b * v_e)


def endline_variance(s2: float, icc: float, u: float, villages: float, per_village: float) -> float:
    """Variance of the endline estimate with ``villages`` x ``per_village`` households."""
    m_e = per_village * u
    return s2 * (1 + (m_e - 1) * icc) / (villages * per_village * u)


def mdc(
    row: dict,
    villages: int,
    per_village: int,
    strata: int,
    alpha: float,
    power: float,
    r: float | None,
) -> float:
    """Minimum detectable change of one indicator for an endline of villages x households."""
    v_e = endline_variance(row["s2"], row["icc"], row["u"], villages, per_village)
    df = row["df"] + villages - strata if r is None else villages - strata
    if df < 1:
        return float("nan")
    return multiplier(df, alpha, power) * math.sqrt(change_variance(row["se"] ** 2, v_e, r))


def villages_needed(
    row: dict,
    delta: float,
    per_village: int,
    strata: int,
    alpha: float,
    power: float,
    r: float | None,
) -> float:
    """Smallest number of endline villages whose MDC is at most ``delta`` (NaN if none)."""
    if not delta > 0:
        return float("nan")
    lo, hi = strata + 1, MAX_VILLAGES
    if r is not None and r > 0:
        # revisited villages: Var falls while sqrt(V_E) > r sqrt(V_B), then rises again (the
        # covariance term shrinks with V_E); the MDC is lowest near V_E = r^2 V_B
        v_b = row["se"] ** 2
        m_e = per_village * row["u"]
        star = row["s2"] * (1 + (m_e - 1) * row["icc"]) / (per_village * row["u"] * r**2 * v_b)
        hi = int(min(MAX_VILLAGES, max(lo, math.ceil(star))))
        hi = min((hi, hi + 1), key=lambda a: mdc(row, a, per_village, strata, alpha, power, r))
    if mdc(row, hi, per_village, strata, alpha, power, r) > delta:
        return float("nan")
    while lo < hi:  # the MDC decreases up to hi
        mid = (lo + hi) // 2
        if mdc(row, mid, per_village, strata, alpha, power, r) <= delta:
            hi = mid
        else:
            lo = mid + 1
    return float(lo)


def plan_endline(
    indicators: pd.DataFrame,
    headline: list[str],
    villages: int,
    households: int,
    strata: int,
    planning: dict,
) -> pd.DataFrame:
    """endline_planning.csv: one row per headline indicator (total domain)."""
    alpha, power = float(planning["alpha"]), float(planning["power"])
    r = float(planning["revisit_correlation"])
    a_e, b_e = int(planning["endline_villages"]), int(planning["endline_households_per_village"])
    targets = planning.get("target_change") or {}
    rel = float(planning["target_relative_change"])
    total = indicators[(indicators["domain"] == "total")].set_index("indicator")
    rows = []
    for ind in headline:
        if ind not in total.index:
            continue
        t = total.loc[ind]
        est, se, deff = float(t["estimate"]), float(t["se"]), float(t["deff"])
        df, n = float(t["df"]), float(t["n_unweighted"])
        base = {"indicator": ind, "estimate": est, "se": se, "deff": deff, "df": df, "n": n}
        if not (np.isfinite([est, se, deff, df]).all() and n > 0 and se > 0 and deff > 0):
            rows.append(base | {"note": "no baseline estimate with an SE and deff: not planned"})
            continue
        m = n / villages
        icc = max(0.0, (deff - 1) / (m - 1)) if m > 1 else 0.0
        row = {"s2": n * se**2 / deff, "icc": icc, "u": n / households, "se": se, "df": df}
        delta = float(targets.get(ind, rel * abs(est)))
        need_i = villages_needed(row, delta, b_e, strata, alpha, power, None)
        need_r = villages_needed(row, delta, b_e, strata, alpha, power, r)
        note = "" if np.isfinite(need_i) else "the baseline's own SE is too large for this target"
        rows.append(
            base
            | {
                "cluster_size": m,
                "icc": icc,
                "element_variance": row["s2"],
                "endline_villages": a_e,
                "endline_households": a_e * b_e,
                "mdc_independent": mdc(row, a_e, b_e, strata, alpha, power, None),
                "mdc_revisit": mdc(row, a_e, b_e, strata, alpha, power, r),
                "target_change": delta,
                "villages_needed_independent": need_i,
                "households_needed_independent": need_i * b_e,
                "villages_needed_revisit": need_r,
                "households_needed_revisit": need_r * b_e,
                "note": note,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
