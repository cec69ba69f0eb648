"""Confidence intervals that respect the support of an estimate, and the precision rule.

Pure functions of (estimate, se, df, n): the engine (:mod:`hhsurvey.engine.design`) computes the
estimate and its standard error; the indicator pipeline chooses the interval by the support of
the indicator (catalogue ``unit`` and ``estimator``):

- **proportions** (support [0, 1]): the engine's logit interval (R ``svyciprop(method =
  "logit")``) inside (0, 1); at 0 or 1, where the logit interval collapses to a point, the
  Korn-Graubard interval of R ``svyciprop(method = "beta")`` with the limit case of the NCHS
  standard (effective sample size = the sample size, since the variance is 0):
  :func:`korn_graubard`;
- **means, totals and ratios of non-negative amounts**: the delta-method interval on the log
  scale, ``estimate x exp(+- t x se / estimate)`` (:func:`log_interval`), never below 0. The
  coverage study (``benchmarks/README.md``) measured it at 0.85-0.88 for mean household OOP
  against 0.82-0.85 for the symmetric t interval;
- anything else (indices, differences that can be negative): the engine's t interval; an
  index's interval is clipped to its theoretical range (catalogue ``range``, e.g. [-1, 1] for a
  concentration index): :func:`clip_to_range`.

:func:`precision` implements the NCHS Data Presentation Standards for Proportions (Parker et al.
2017, Vital Health Stat 2(175)) and a relative-standard-error rule, thresholds from the config.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "clip_to_range",
    "effective_sample_size",
    "korn_graubard",
    "log_interval",
    "precision",
]


def _t(df: np.ndarray, level: float) -> np.ndarray:
    df = np.asarray(df, dtype="float64")
    with np.errstate(invalid="ignore"):
        return np.where(df > 0, stats.t.ppf(0.5 + level / 2.0, np.where(df > 0, df, 1.0)), np.nan)


def log_interval(
    estimate: np.ndarray, se: np.ndarray, df: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Delta-method interval on the log scale: estimate x exp(+- t(df) x se / estimate).

    For a positive estimate of a non-negative quantity; both bounds are positive. An estimate
    of 0 (no positive value in the domain, SE 0) gets [0, 0]; a missing SE or df gives NaN.
    """
    est = np.asarray(estimate, dtype="float64")
    se = np.asarray(se, dtype="float64")
    t = _t(df, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = t * se / est
        lo = np.where(est > 0, est * np.exp(-half), np.where(est == 0, 0.0, np.nan))
        hi = np.where(est > 0, est * np.exp(half), np.where(est == 0, 0.0, np.nan))
    bad = np.isnan(se) | np.isnan(t)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


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
) -> tuple[np.ndarray, np.ndarray]:
    """Korn-Graubard (1998) interval of a proportion, as R ``svyciprop(method = "beta")``.

    n_eff = p (1 - p) / se^2, times the df adjustment (qt(alpha/2, n - 1) / qt(alpha/2, df))^2;
    lower = qbeta(alpha/2, n_eff p, n_eff (1 - p) + 1), upper = qbeta(1 - alpha/2,
    n_eff p + 1, n_eff (1 - p)). At p = 0 or 1 the variance is 0 and R returns NaN; there the
    effective sample size is the sample size ``n`` (the limit case of the NCHS implementation,
    Talih 2019), so an estimate of 0 gets [0, 1 - (alpha/2)^(1/n)].
    """
    p = np.asarray(estimate, dtype="float64")
    se = np.asarray(se, dtype="float64")
    df = np.asarray(df, dtype="float64")
    n = np.asarray(n, dtype="float64")
    alpha = 1.0 - level
    edge = (p <= 0) | (p >= 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = p * (1 - p) / se**2
        ok = (df > 0) & (n > 1)
        adj = np.where(
            ok,
            (
                stats.t.ppf(alpha / 2, np.where(ok, n - 1, 1.0))
                / stats.t.ppf(alpha / 2, np.where(ok, df, 1.0))
            )
            ** 2,
            np.nan,
        )
        n_eff = np.where(edge, n, n_eff * adj)
        lo = stats.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1)
        hi = stats.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p))
    # qbeta with a zero shape parameter is the point mass at 0 (or 1), as in R
    lo = np.where(p <= 0, 0.0, lo)
    hi = np.where(p >= 1, 1.0, hi)
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


def precision(
    rows: pd.DataFrame, support: pd.Series, rules: dict, level: float = 0.95
) -> pd.DataFrame:
    """The precision flag of each row: ``precision`` ("" or "low") and ``precision_note``.

    ``rows`` has ``estimate, se, df, n_unweighted`` on the scale of a proportion (a fraction,
    not a percentage); ``support`` gives each row's support (``proportion``, ``non_negative`` or
    ``real``: the catalogue's ``SUPPORTS``). ``rules`` (config ``indicators.precision``):

    - proportions, NCHS Data Presentation Standards for Proportions (2017): effective sample
      size below ``min_effective_n`` (30); Korn-Graubard CI width at least ``max_ci_width``
      (0.30); or a width above ``ci_width_always_ok`` (0.05) that is more than
      ``max_relative_ci_width`` (1.30) times the estimate, or (complementary rule) more than
      that times 1 - estimate: low precision. Fewer than ``review_df_below`` (8) degrees of
      freedom, or an estimate of 0 or 100 %: a note to review, not a flag (NCHS "review").
    - every estimate but those with real support (indices): a relative standard error above
      ``max_relative_se`` (0.30): low precision.
    """
    est = rows["estimate"].to_numpy("float64")
    se = rows["se"].to_numpy("float64")
    df = rows["df"].to_numpy("float64")
    n = rows["n_unweighted"].to_numpy("float64")
    sup = support.to_numpy()
    prop = sup == "proportion"
    lo, hi = korn_graubard(est, se, df, n, level)
    width = hi - lo
    n_eff = effective_sample_size(est, se, n)
    notes: list[list[str]] = [[] for _ in range(len(rows))]
    low = np.zeros(len(rows), dtype=bool)
    min_n = rules["min_effective_n"]
    ok_width = rules["ci_width_always_ok"]
    max_width = rules["max_ci_width"]
    max_rel = rules["max_relative_ci_width"]
    max_rse = rules["max_relative_se"]
    review_df = rules.get("review_df_below")
    for i in range(len(rows)):
        if np.isnan(est[i]) or np.isnan(se[i]):
            continue
        if prop[i]:
            if n_eff[i] < min_n:
                low[i] = True
                notes[i].append(f"effective sample size {n_eff[i]:.0f}, below {min_n}")
            elif width[i] > ok_width:
                if width[i] >= max_width:
                    low[i] = True
                    notes[i].append(
                        f"confidence interval {100 * width[i]:.0f} points wide "
                        f"(limit {100 * max_width:.0f})"
                    )
                elif est[i] > 0 and width[i] / est[i] > max_rel:
                    low[i] = True
                    notes[i].append(
                        f"confidence interval {100 * width[i] / est[i]:.0f} % of the estimate "
                        f"(limit {100 * max_rel:.0f} %)"
                    )
                elif est[i] < 1 and width[i] / (1 - est[i]) > max_rel:
                    low[i] = True
                    notes[i].append(
                        f"confidence interval {100 * width[i] / (1 - est[i]):.0f} % of its "
                        f"complement (limit {100 * max_rel:.0f} %)"
                    )
            if est[i] in (0.0, 1.0):
                notes[i].append(f"{'no case' if est[i] == 0 else 'every case'} observed: review")
        if sup[i] != "real" and est[i] > 0 and se[i] / est[i] > max_rse:
            low[i] = True
            notes[i].append(
                f"relative standard error {_pct(se[i] / est[i], max_rse)} % "
                f"(limit {100 * max_rse:.0f} %)"
            )
        if review_df and 0 < df[i] < review_df:
            notes[i].append(f"{df[i]:.0f} degrees of freedom (fewer than {review_df}): review")
    return pd.DataFrame(
        {
            "precision": np.where(low, "low", ""),
            "precision_note": ["; ".join(x) for x in notes],
        },
        index=rows.index,
    )
