"""Validation checks of the frame that need the design: the listing against the census, and the
households the weights will add up to against the frame's census count.

Registered in the validation catalogue (:mod:`hhsurvey.prepare.validate`, checks
``listing_vs_census`` and ``weighted_total_vs_frame``); each takes the canonical tables and the
validation parameters and returns the offending rows (key columns and ``value``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hhsurvey.errors import InputError
from hhsurvey.prepare.selection import stage1_probabilities

__all__ = ["frame_total_findings", "listing_ratio_findings"]


def listing_ratio_findings(t: dict[str, pd.DataFrame], p: dict) -> pd.DataFrame:
    """Validation (``listing_vs_census``): selected villages whose listed households are out
    of ``listing_ratio`` of their census size; the village and the counts."""
    fr = t["frame"]
    lo, hi = p.get("listing_ratio", [0.5, 2.0])
    sel = fr[(fr["selected"] == 1) & fr["listed_hh"].notna() & (fr["mos_hh"] > 0)]
    ratio = sel["listed_hh"] / sel["mos_hh"]
    bad = (ratio < lo) | (ratio > hi)
    return sel.loc[bad, ["village"]].assign(
        value=[
            f"{int(a)} listed vs {b:g} in the census (ratio {r:.2f})"
            for a, b, r in zip(
                sel.loc[bad, "listed_hh"], sel.loc[bad, "mos_hh"], ratio[bad], strict=True
            )
        ]
    )


def frame_total_findings(t: dict[str, pd.DataFrame], p: dict) -> pd.DataFrame:
    """Validation (``weighted_total_vs_frame``): the households the weights will add up to,
    sum over eligible sampled households of listed / (sampled x pi1) (the non-response
    adjustment keeps this total), against the frame's census count (sum of ``mos_hh``); one
    finding when they differ by more than ``frame_total_tolerance`` (default 0.05). A frame
    the other checks reject (sizes, listing counts) gives no finding here."""
    fr, hh = t["frame"], t["household"]
    tol = float(p.get("frame_total_tolerance", 0.05))
    try:
        pi1 = stage1_probabilities(fr, p.get("strata", "area"))
    except (InputError, KeyError, TypeError, ValueError):
        return pd.DataFrame({"district": [], "value": []})
    sel = fr.assign(pi1=pi1).loc[fr["selected"] == 1].drop_duplicates("village")
    sel = sel.set_index("village")
    eligible = (~hh["result"].isin(p.get("ineligible", []))).groupby(hh["village"]).sum()
    factor = sel["listed_hh"] / (sel["sampled_hh"] * sel["pi1"])
    weighted = float((eligible * factor.reindex(eligible.index)).sum())
    census = float(fr.drop_duplicates("village")["mos_hh"].sum())
    if not (np.isfinite(weighted) and census > 0) or abs(weighted / census - 1) <= tol:
        return pd.DataFrame({"district": [], "value": []})
    gap = weighted / census - 1
    return pd.DataFrame(
        {
            "district": ["total"],
            "value": [
                f"weighted {weighted:,.0f} households vs {census:,.0f} in the frame's census "
                f"counts ({gap:+.1%}; tolerance {tol:.0%})"
            ],
        }
    )
