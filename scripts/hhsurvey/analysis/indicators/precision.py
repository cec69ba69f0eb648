"""Small-sample flags, intervals inside the support of an estimate, and precision rules.

:func:`flag` is the DHS rule on the unweighted denominator; :func:`support_intervals` gives
every row the interval of its kind of quantity (:func:`hhsurvey.engine.intervals.
support_interval`: logit or Korn-Graubard for proportions and shares, log for amounts and
non-negative differences, t for signed quantities); :data:`PRECISION_DEFAULTS` are the NCHS
thresholds of the precision flag (:func:`hhsurvey.engine.intervals.precision`) when the config
gives none.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from hhsurvey.engine.intervals import clip_to_range, not_estimable, support_interval
from hhsurvey.errors import first_keys

__all__ = ["PRECISION_DEFAULTS", "flag", "support_intervals"]

log = logging.getLogger(__name__)

#: NCHS Data Presentation Standards for Proportions (Parker et al. 2017) and the relative-SE
#: rule of the other estimates, used when the config gives no ``indicators.precision`` (the
#: config states the same). ``relative_se_for_proportions`` is a deviation from the 2017
#: standard, off by default.
PRECISION_DEFAULTS = {
    "min_effective_n": 30,
    "ci_width_always_ok": 0.05,
    "max_ci_width": 0.30,
    "max_relative_ci_width": 1.30,
    "review_df_below": 8,
    "max_relative_se": 0.30,
    "relative_se_for_proportions": False,
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
    """Every row's interval by the rule of its kind of quantity (``support``).

    Rows marked in ``keep`` (quantiles: their Woodruff interval lies in the data's range) are
    left as they are. A row with a standard error of 0 and no rule that still gives an interval
    (:func:`hhsurvey.engine.intervals.not_estimable`) gets no interval: never a zero-width one.
    ``ranges`` gives, per row, the theoretical range (low, high) of an index (catalogue
    ``range``; missing for other rows): its interval is clipped to that range.
    """
    keep = np.zeros(len(out), bool) if keep is None else np.asarray(keep, bool)
    est = out["estimate"].to_numpy("float64")
    se = out["se"].to_numpy("float64")
    sup = support.to_numpy().astype(str)
    lo, hi = support_interval(
        sup,
        est,
        se,
        out["df"].to_numpy("float64"),
        out["n_unweighted"].to_numpy("float64"),
        level,
    )
    lo = np.where(keep, out["ci_low"].to_numpy("float64"), lo)
    hi = np.where(keep, out["ci_high"].to_numpy("float64"), hi)
    blank = not_estimable(est, se, sup) & ~keep
    if blank.any():
        log.info(
            "%d estimate(s) with a standard error of 0 (fewer than two distinct values): no "
            "interval, flagged 'not estimable': %s",
            int(blank.sum()),
            first_keys(sorted(set(out.loc[blank, "indicator"].astype(str)))),
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
