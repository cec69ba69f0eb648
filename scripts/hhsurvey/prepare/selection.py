"""Stage-1 selection probabilities of the frame's villages (PPS with iterated certainty units).

Read by the weights (:mod:`hhsurvey.prepare.weights`) and by the validation of the frame
(:mod:`hhsurvey.prepare.frame_checks`), which must not depend on the rest of the weights: a
change to the weights reruns neither validation nor cleaning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hhsurvey.errors import InputError, first_keys

__all__ = ["stage1_probabilities"]


def stage1_probabilities(frame: pd.DataFrame, strata: str = "area") -> pd.Series:
    """PPS inclusion probability of every frame village, with iterated certainty units.

    pi_i = n_h * mos_i / sum_{j in h} mos_j; villages with pi >= 1 get pi = 1 and are removed
    from n_h and the size total, and the rest are recomputed until none reaches 1.
    """
    bad = frame["mos_hh"].isna() | (frame["mos_hh"] <= 0)
    if bad.any():
        raise InputError(
            f"measure of size (mos_hh) is zero, negative or blank for village(s) "
            f"{first_keys([str(v) for v in frame.loc[bad, 'village']])}",
            "frame.csv, column mos_hh",
            "give every village its census household count; a village with no households "
            "should be removed from the frame",
        )
    pi = pd.Series(np.nan, index=frame.index, dtype="float64")
    for _, grp in frame.groupby(strata, observed=True, sort=True):
        n_h = int(grp["selected"].sum())
        size = grp["mos_hh"].astype("float64")
        certain = pd.Series(False, index=grp.index)
        while True:
            rest = ~certain
            n_rest = n_h - int(certain.sum())
            p = n_rest * size[rest] / size[rest].sum() if n_rest > 0 else size[rest] * 0.0
            newly = p >= 1.0
            if not newly.any():
                break
            certain.loc[newly[newly].index] = True
        pi.loc[grp.index] = 1.0
        pi.loc[p.index] = p
    return pi
