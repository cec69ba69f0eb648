"""Small-sample flags, intervals inside the support of an estimate, and precision rules.

:func:`flag` is the DHS rule on the unweighted denominator; :func:`support_intervals` replaces
the intervals that leave the support of an indicator (:mod:`hhsurvey.engine.intervals`);
:data:`PRECISION_DEFAULTS` are the NCHS thresholds of the precision flag
(:func:`hhsurvey.engine.intervals.precision`) when the config gives none.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from hhsurvey.engine.intervals import clip_to_range, korn_graubard, log_interval
from hhsurvey.errors import first_keys

__all__ = ["PRECISION_DEFAULTS", "flag", "support_intervals"]

log = logging.getLogger(__name__)

#: NCHS Data Presentation Standards for Proportions (Parker et al. 2017) and the relative-SE
#: rule, used when the config gives no ``indicators.precision`` (the config states the same).
PRECISION_DEFAULTS = {
    "min_effective_n": 30,
    "ci_width_always_ok": 0.05,
    "max_ci_width": 0.30,
    "max_relative_ci_width": 1.30,
    "review_df_below": 8,
    "max_relative_se": 0.30,
}


def flag(n: pd.Series, suppress_below: int, caution_below: int) -> pd.Series:
    """DHS small-sample flag on the unweighted denominator."""
    return pd.Series(
        np.select([n < suppress_below, n < caution_below], ["suppressed", "caution"], ""),
        index=n.index,
    )


def support_intervals(
    out: pd.DataFrame,
    support: pd.Series,
    *,
    level: float,
    keep: np.ndarray | None = None,
    ranges: pd.Series | None = None,
) -> pd.DataFrame:
    """Replace intervals that leave the support of the estimate (:mod:`hhsurvey.engine.intervals`).

    Proportions at 0 or 1: Korn-Graubard (R ``svyciprop(method = "beta")``, limit case n_eff
    = n); means, totals and ratios of non-negative values: the log-scale interval. Rows marked
    in ``keep`` (quantiles: their Woodruff interval lies in the data's range) are left as they
    are. ``ranges`` gives, per row, the theoretical range (low, high) of an index (catalogue
    ``range``; missing for other rows): its interval is clipped to that range.
    """
    est = out["estimate"].to_numpy("float64")
    has_se = out["se"].notna().to_numpy()
    edge = (support == "proportion").to_numpy() & ((est == 0) | (est == 1)) & has_se
    keep = np.zeros(len(out), bool) if keep is None else np.asarray(keep, bool)
    nonneg = (support == "non_negative").to_numpy() & has_se & ~keep
    lo = out["ci_low"].to_numpy("float64").copy()
    hi = out["ci_high"].to_numpy("float64").copy()
    if edge.any():
        kl, kh = korn_graubard(
            est[edge],
            out["se"].to_numpy("float64")[edge],
            out["df"].to_numpy("float64")[edge],
            out["n_unweighted"].to_numpy("float64")[edge],
            level,
        )
        lo[edge], hi[edge] = kl, kh
    if nonneg.any():
        below = out["ci_low"].to_numpy("float64")[nonneg] < 0
        ll, lh = log_interval(
            est[nonneg],
            out["se"].to_numpy("float64")[nonneg],
            out["df"].to_numpy("float64")[nonneg],
            level,
        )
        lo[nonneg], hi[nonneg] = ll, lh
        log.info(
            "log-scale intervals for %d estimate(s) of non-negative amounts (%d t interval(s) "
            "would have gone below 0)",
            int(nonneg.sum()),
            int(below.sum()),
        )
    if ranges is not None:
        bounds = [r if isinstance(r, tuple | list) else (-np.inf, np.inf) for r in ranges]
        low = np.array([b[0] for b in bounds], dtype="float64")
        high = np.array([b[1] for b in bounds], dtype="float64")
        outside = (lo < low) | (hi > high)
        if outside.any():
            lo, hi = clip_to_range(lo, hi, low, high)
            log.info(
                "%d interval(s) of indices clipped to the index's theoretical range: %s",
                int(outside.sum()),
                first_keys(sorted(set(out.loc[outside, "indicator"].astype(str)))),
            )
    return out.assign(ci_low=lo, ci_high=hi)
