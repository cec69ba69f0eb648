"""Inference shared by the tables of differences: multiplicity and what could have been seen.

- :func:`adjust_p`: adjusted p-values of a family of tests, as R ``p.adjust``
  (Benjamini-Hochberg, Holm, Bonferroni);
- :func:`minimum_detectable_change`: the smallest true change (or difference) a two-sided test
  detects with a given power, from the realised SE and df,
  MDC = (t(1 - alpha/2, df) + t(power, df)) x SE (the formula of the endline planning,
  :mod:`hhsurvey.analysis.planning`, with the SE the survey actually achieved).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hhsurvey.engine.distributions import t_ppf

__all__ = ["METHODS", "adjust_p", "minimum_detectable_change"]

#: Multiplicity methods (config ``differences.families[].multiplicity``, ``change.multiplicity``)
#: and their names in words.
METHODS = {
    "benjamini_hochberg": "Benjamini-Hochberg (false discovery rate)",
    "holm": "Holm (family-wise error rate)",
    "bonferroni": "Bonferroni (family-wise error rate)",
    "none": "no adjustment",
}


def adjust_p(p: Sequence[float] | np.ndarray, method: str) -> np.ndarray:
    """Adjusted p-values of one family, as R ``p.adjust`` ("BH", "holm", "bonferroni",
    "none"); missing p-values stay missing and do not count in the family size."""
    p = np.asarray(p, dtype="float64")
    out = np.full(len(p), np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if m == 0:
        return out
    q = p[ok]
    if method == "none":
        adj = q
    elif method == "bonferroni":
        adj = np.minimum(q * m, 1.0)
    elif method == "holm":
        o = np.argsort(q, kind="stable")
        steps = np.maximum.accumulate((m - np.arange(m)) * q[o])
        adj = np.empty(m)
        adj[o] = np.minimum(steps, 1.0)
    elif method == "benjamini_hochberg":
        o = np.argsort(q, kind="stable")[::-1]  # largest first
        steps = np.minimum.accumulate(m / np.arange(m, 0, -1) * q[o])
        adj = np.empty(m)
        adj[o] = np.minimum(steps, 1.0)
    else:
        raise ValueError(f"unknown multiplicity method {method!r}; use one of {sorted(METHODS)}")
    out[ok] = adj
    return out


def minimum_detectable_change(se: Any, df: Any, level: float, power: float) -> np.ndarray:
    """MDC = (t(1 - alpha/2, df) + t(power, df)) x SE: the smallest true change a two-sided
    test at 1 - ``level`` detects with probability ``power``, given the realised SE and df."""
    se = np.asarray(se, dtype="float64")
    df = np.asarray(df, dtype="float64")
    ok = (df > 0) & np.isfinite(se)
    d = np.where(ok, df, 1.0)
    with np.errstate(invalid="ignore"):
        q = t_ppf(0.5 + level / 2.0, d) + t_ppf(power, d)
    return np.where(ok, q * se, np.nan)
