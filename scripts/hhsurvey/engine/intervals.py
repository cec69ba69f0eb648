"""Confidence intervals that respect the support of an estimate, and the precision rule.

Pure functions of (estimate, se, df, n). The engine (:mod:`hhsurvey.engine.design`) computes the
estimate and its standard error; :func:`support_interval` is the one interval rule per kind of
quantity (the catalogue's ``support``, :data:`SUPPORTS`):

- ``proportion`` (proportions and shares of a total, support [0, 1]): the logit interval
  (R ``svyciprop(method = "logit")``), ``expit(logit(p) +- t x se / (p (1 - p)))``
  (:func:`logit_interval`); at 0 or 1, where it collapses to a point, the Korn-Graubard
  interval of R ``svyciprop(method = "beta")`` with the limit case of the NCHS standard
  (effective sample size = the sample size, since the variance is 0): :func:`korn_graubard`;
- ``non_negative`` (amounts, rates, and differences that are non-negative by construction such
  as the effect of a benefit package): the delta-method interval on the log scale,
  ``estimate x exp(+- t x se / estimate)`` (:func:`log_interval`), inside (0, inf). The coverage
  study (``benchmarks/README.md``) measured it at 0.85-0.88 for mean household OOP against
  0.82-0.85 for the symmetric t interval;
- ``real`` (signed differences, indices): the t interval, estimate +- t x se; an index's
  interval is clipped to its theoretical range (catalogue ``range``): :func:`clip_to_range`.

No rule prints a zero-width interval: a standard error of 0 (fewer than two distinct values in
the domain) gives no interval (NaN bounds; :func:`not_estimable`), except for a proportion at 0
or 1, whose Korn-Graubard interval has a positive width.

:func:`precision` implements the NCHS Data Presentation Standards for Proportions (Parker et al.
2017, Vital Health Stat 2(175)) for proportions, and the relative-standard-error rule for the
other non-negative estimates; thresholds from the config.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hhsurvey.engine.distributions import beta_ppf, t_ppf

__all__ = [
    "NOT_ESTIMABLE",
    "SUPPORTS",
    "clip_to_range",
    "effective_sample_size",
    "korn_graubard",
    "log_interval",
    "logit_interval",
    "not_estimable",
    "precision",
    "support_interval",
]

#: The kinds of quantity, each with its interval rule (the catalogue's ``support``).
SUPPORTS = ("proportion", "non_negative", "real")
#: The ``precision`` value of a row whose standard error is 0 (no interval can be given).
NOT_ESTIMABLE = "not estimable"


def _t(df: np.ndarray, level: float) -> np.ndarray:
    df = np.asarray(df, dtype="float64")
    with np.errstate(invalid="ignore"):
        return np.where(df > 0, t_ppf(0.5 + level / 2.0, np.where(df > 0, df, 1.0)), np.nan)


def log_interval(
    estimate: np.ndarray, se: np.ndarray, df: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Delta-method interval on the log scale: estimate x exp(+- t(df) x se / estimate).

    For a positive estimate of a non-negative quantity, with a positive SE: both bounds are
    positive. Anything else (an estimate or SE of 0, a missing SE or df) gives NaN: an estimate
    of 0 with SE 0 supports no interval (:func:`not_estimable`).
    """
    est = np.asarray(estimate, dtype="float64")
    se = np.asarray(se, dtype="float64")
    t = _t(df, level)
    ok = (est > 0) & (se > 0) & np.isfinite(t)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = t * se / est
        lo = np.where(ok, est * np.exp(-half), np.nan)
        hi = np.where(ok, est * np.exp(half), np.nan)
    return lo, hi


def logit_interval(
    estimate: np.ndarray, se: np.ndarray, df: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Logit interval of a quantity in [0, 1]: expit(logit(p) +- t(df) x se / (p (1 - p))).

    R ``svyciprop(method = "logit")`` for a proportion; the same delta method for a share of a
    total (a ratio whose numerator is part of its denominator). Defined for 0 < p < 1 and a
    positive SE; NaN otherwise (at 0 or 1 use :func:`korn_graubard`).
    """
    p = np.asarray(estimate, dtype="float64")
    se = np.asarray(se, dtype="float64")
    t = _t(df, level)
    ok = (p > 0) & (p < 1) & (se > 0) & np.isfinite(t)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = np.log(p / (1 - p))
        half = t * se / (p * (1 - p))
        lo = np.where(ok, 1 / (1 + np.exp(-(centre - half))), np.nan)
        hi = np.where(ok, 1 / (1 + np.exp(-(centre + half))), np.nan)
    return lo, hi


def clip_to_range(
    lo: np.ndarray, hi: np.ndarray, low: np.ndarray, high: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Interval bounds clipped to the theoretical range [low, high] of the estimate.

    Per row; a row without a range has low = -inf and high = +inf. A missing bound stays
    missing (np.clip keeps NaN).
    """
    low = np.asarray(low, dtype="float64")
    high = np.asarray(high, dtype="float64")
    return (
        np.clip(np.asarray(lo, dtype="float64"), low, high),
        np.clip(np.asarray(hi, dtype="float64"), low, high),
    )


def korn_graubard(
    estimate: np.ndarray,
    se: np.ndarray,
    df: np.ndarray,
    n: np.ndarray,
    level: float = 0.95,
    cap_at_n: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Korn-Graubard (1998) interval of a proportion, as R ``svyciprop(method = "beta")`` and
    the NCHS standard (Parker et al. 2017).

    n_eff = p (1 - p) / se^2, capped at the sample size n (the NCHS rule: a design effect below
    1 is set to 1; R does not cap, ``cap_at_n=False`` gives R's interval), then times the df adjustment (qt(alpha/2, n - 1) /
    qt(alpha/2, df))^2; lower = qbeta(alpha/2, n_eff p, n_eff (1 - p) + 1), upper = qbeta(1 -
    alpha/2, n_eff p + 1, n_eff (1 - p)). At p = 0 or 1 the variance is 0 and R returns NaN;
    there the effective sample size is the sample size ``n`` (the limit case of the NCHS
    implementation, Talih 2019), so an estimate of 0 gets [0, 1 - (alpha/2)^(1/n)].
    """
    p = np.asarray(estimate, dtype="float64")
    se = np.asarray(se, dtype="float64")
    df = np.asarray(df, dtype="float64")
    n = np.asarray(n, dtype="float64")
    alpha = 1.0 - level
    edge = (p <= 0) | (p >= 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = p * (1 - p) / se**2
        n_eff = np.minimum(n_eff, n) if cap_at_n else n_eff
        ok = (df > 0) & (n > 1)
        adj = np.where(
            ok,
            (t_ppf(alpha / 2, np.where(ok, n - 1, 1.0)) / t_ppf(alpha / 2, np.where(ok, df, 1.0)))
            ** 2,
            np.nan,
        )
        n_eff = np.where(edge, n, n_eff * adj)
        lo = beta_ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1)
        hi = beta_ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p))
    # qbeta with a zero shape parameter is the point mass at 0 (or 1), as in R
    lo = np.where(p <= 0, 0.0, lo)
    hi = np.where(p >= 1, 1.0, hi)
    return lo, hi


def not_estimable(estimate: np.ndarray, se: np.ndarray, support: np.ndarray) -> np.ndarray:
    """Rows whose standard error is 0 with no rule that still gives an interval: every unit of
    the domain has the same value (fewer than two distinct values), so the sampling variance
    is not estimable. A proportion at 0 or 1 is not among them: its Korn-Graubard interval
    (n_eff = n) has a positive width."""
    est = np.asarray(estimate, dtype="float64")
    se = np.asarray(se, dtype="float64")
    sup = np.asarray(support)
    edge = (sup == "proportion") & ((est == 0) | (est == 1))
    return np.isfinite(est) & (se == 0) & ~edge


def support_interval(
    support: np.ndarray,
    estimate: np.ndarray,
    se: np.ndarray,
    df: np.ndarray,
    n: np.ndarray,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """The one interval rule per kind of quantity (module docstring), row by row.

    ``support`` holds each row's kind (:data:`SUPPORTS`); ``n`` the unweighted count (read at
    0 or 1 only). Rows with a missing or zero SE, or no design df, get NaN bounds.
    """
    sup = np.asarray(support).astype(str)
    est = np.asarray(estimate, dtype="float64")
    se = np.asarray(se, dtype="float64")
    df = np.asarray(df, dtype="float64")
    n = np.asarray(n, dtype="float64")
    unknown = sorted(set(sup) - set(SUPPORTS))
    if unknown:
        raise ValueError(f"unknown support(s) {unknown}; use one of {SUPPORTS}")
    lo = np.full(len(est), np.nan)
    hi = np.full(len(est), np.nan)
    prop = sup == "proportion"
    edge = prop & ((est == 0) | (est == 1)) & np.isfinite(se)
    inner = prop & ~edge
    nonneg = sup == "non_negative"
    real = (sup == "real") & (se > 0)
    if edge.any():
        lo[edge], hi[edge] = korn_graubard(est[edge], se[edge], df[edge], n[edge], level)
    if inner.any():
        lo[inner], hi[inner] = logit_interval(est[inner], se[inner], df[inner], level)
    if nonneg.any():
        lo[nonneg], hi[nonneg] = log_interval(est[nonneg], se[nonneg], df[nonneg], level)
    if real.any():
        t = _t(df[real], level)
        lo[real], hi[real] = est[real] - t * se[real], est[real] + t * se[real]
    return lo, hi


def effective_sample_size(estimate: np.ndarray, se: np.ndarray, n: np.ndarray) -> np.ndarray:
    """NCHS effective sample size of a proportion: p (1 - p) / se^2 (= n / deff), at most n;
    n itself when p is 0 or 1."""
    p = np.asarray(estimate, dtype="float64")
    se = np.asarray(se, dtype="float64")
    n = np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = p * (1 - p) / se**2
    n_eff = np.where((p <= 0) | (p >= 1), n, np.minimum(n_eff, n))
    return n_eff


def _pct(x: float, limit: float) -> str:
    """x as a percentage, with one decimal when whole numbers would show the limit itself."""
    text = f"{100 * x:.0f}"
    return f"{100 * x:.1f}" if text == f"{100 * limit:.0f}" else text


def _nchs_proportion(p: float, width: float, n_eff: float, rules: dict) -> tuple[bool, list[str]]:
    """The NCHS 2017 criteria of one proportion (no relative-SE criterion)."""
    min_n = rules["min_effective_n"]
    max_width = rules["max_ci_width"]
    max_rel = rules["max_relative_ci_width"]
    if n_eff < min_n:
        return True, [f"effective sample size {n_eff:.0f}, below {min_n}"]
    if not width > rules["ci_width_always_ok"]:
        return False, []
    if width >= max_width:
        return True, [
            f"confidence interval {100 * width:.0f} points wide (limit {100 * max_width:.0f})"
        ]
    if p > 0 and width / p > max_rel:
        return True, [
            f"confidence interval {100 * width / p:.0f} % of the estimate "
            f"(limit {100 * max_rel:.0f} %)"
        ]
    if p < 1 and width / (1 - p) > max_rel:
        return True, [
            f"confidence interval {100 * width / (1 - p):.0f} % of its complement "
            f"(limit {100 * max_rel:.0f} %)"
        ]
    return False, []


def precision(
    rows: pd.DataFrame,
    support: pd.Series,
    rules: dict,
    level: float = 0.95,
    nchs: pd.Series | np.ndarray | None = None,
) -> pd.DataFrame:
    """The precision flag of each row: ``precision`` ("", "low" or "not estimable") and
    ``precision_note``.

    ``rows`` has ``estimate, se, df, n_unweighted`` on the scale of a proportion (a fraction,
    not a percentage); ``support`` gives each row's support (:data:`SUPPORTS`); ``nchs`` marks
    the proportions of units the NCHS standard applies to (default: every ``proportion`` row;
    a share of a total or a mean of shares has the same interval but the relative-SE rule).
    ``rules`` (config ``indicators.precision``):

    - proportions, NCHS Data Presentation Standards for Proportions (2017), as published:
      effective sample size (at most n) below ``min_effective_n`` (30); Korn-Graubard CI width
      at least ``max_ci_width`` (0.30); or a width above ``ci_width_always_ok`` (0.05) that is
      more than ``max_relative_ci_width`` (1.30) times the estimate, or (complementary rule)
      more than that times 1 - estimate: low precision. Fewer than ``review_df_below`` (8)
      degrees of freedom, or an estimate of 0 or 100 %: a note to review, not a flag (NCHS
      "review"). The 2017 standard has no relative-SE criterion for proportions;
      ``relative_se_for_proportions: true`` adds one as a labelled deviation (off by default).
    - other non-negative estimates (amounts, rates, shares of a total, scenario effects): a
      relative standard error above ``max_relative_se`` (0.30): low precision.
    - a standard error of 0 with no interval (:func:`not_estimable`): "not estimable".
    """
    est = rows["estimate"].to_numpy("float64")
    se = rows["se"].to_numpy("float64")
    df = rows["df"].to_numpy("float64")
    n = rows["n_unweighted"].to_numpy("float64")
    sup = support.to_numpy()
    prop = sup == "proportion" if nchs is None else np.asarray(nchs, dtype=bool)
    lo, hi = korn_graubard(est, se, df, n, level)
    width = hi - lo
    n_eff = effective_sample_size(est, se, n)
    blank = not_estimable(est, se, sup)
    notes: list[list[str]] = [[] for _ in range(len(rows))]
    flags = np.full(len(rows), "", dtype=object)
    max_rse = rules["max_relative_se"]
    rse_prop = bool(rules.get("relative_se_for_proportions", False))
    review_df = rules.get("review_df_below")
    for i in range(len(rows)):
        if blank[i]:
            flags[i] = NOT_ESTIMABLE
            notes[i].append("standard error 0: fewer than two distinct values, no interval")
            continue
        if np.isnan(est[i]) or np.isnan(se[i]):
            continue
        if prop[i]:
            low, why = _nchs_proportion(est[i], width[i], n_eff[i], rules)
            flags[i] = "low" if low else ""
            notes[i] += why
            if est[i] in (0.0, 1.0):
                notes[i].append(f"{'no case' if est[i] == 0 else 'every case'} observed: review")
        rse_rule = sup[i] != "real" and (not prop[i] or rse_prop)
        if rse_rule and est[i] > 0 and se[i] / est[i] > max_rse:
            flags[i] = "low"
            deviation = "; a deviation from the NCHS 2017 standard" if prop[i] else ""
            notes[i].append(
                f"relative standard error {_pct(se[i] / est[i], max_rse)} % "
                f"(limit {100 * max_rse:.0f} %{deviation})"
            )
        if review_df and 0 < df[i] < review_df:
            notes[i].append(f"{df[i]:.0f} degrees of freedom (fewer than {review_df}): review")
    return pd.DataFrame(
        {"precision": flags.astype(str), "precision_note": ["; ".join(x) for x in notes]},
        index=rows.index,
    )
