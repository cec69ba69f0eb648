"""The frame and the sample agree: checks made before any weight is computed.

The stage-1 probabilities rest on every village of the frame, selected or not: its stratum and
its census size (``mos_hh``) enter the stratum's size total. The stage-2 probabilities rest on
the listing counts of each selected village, and the weights on every sampled household's
stratum. So, before weighting (all errors, each naming the villages or households):

* ``frame_size_outlier``: a village whose census size is far from the sizes of its stratum
  (outside ``validation.mos_ratio`` times the stratum's median), selected or not: a size keyed
  x1000 moves every weight of the stratum;
* ``frame_blank_stratum``: a village of the frame without its stratum (it would drop out of
  its stratum's total);
* ``household_blank_stratum``: a sampled household without its stratum;
* ``selected_village_without_data``: a selected village with no household in the household
  file, unless the frame marks it not visited (``village_result``), and a village marked not
  visited that has households;
* ``frame_listing_counts``: a visited selected village whose listing counts are blank, zero,
  fractional or inconsistent (more sampled than listed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hhsurvey.prepare.checks import Check, Tables

__all__ = ["NOT_VISITED", "not_visited", "sample_checks"]

#: Category of the frame's ``village_result`` for a selected village the team could not
#: visit (its households are then absent, and the weights adjust for it).
NOT_VISITED = "not_visited"


def not_visited(frame: pd.DataFrame) -> pd.Series:
    """Whether each frame village is marked not visited (``village_result``; absent: none)."""
    if "village_result" not in frame:
        return pd.Series(False, index=frame.index)
    return (frame["village_result"].astype("string") == NOT_VISITED).fillna(False)


def _size_outlier(t: Tables, p: dict) -> pd.DataFrame:
    fr = t["frame"].drop_duplicates("village")
    strata = p.get("strata", "area")
    lo, hi = p.get("mos_ratio", [0.02, 50.0])
    size = fr["mos_hh"].where(np.isfinite(fr["mos_hh"]) & (fr["mos_hh"] > 0))
    median = size.groupby(fr[strata], observed=True).transform("median")
    ratio = size / median
    bad = ((ratio > hi) | (ratio < lo)).fillna(False)
    return fr.loc[bad, ["village"]].assign(
        value=[
            f"{m:,.0f} households, {r:,.3g} times the median of its stratum ({d:,.0f})"
            for m, r, d in zip(size[bad], ratio[bad], median[bad], strict=True)
        ]
    )


def _frame_blank_stratum(t: Tables, p: dict) -> pd.DataFrame:
    fr = t["frame"]
    bad = fr[p.get("strata", "area")].isna()
    return fr.loc[bad, ["village"]].assign(
        value=np.where(fr.loc[bad, "selected"] == 1, "blank (selected)", "blank")
    )


def _household_blank_stratum(t: Tables, p: dict) -> pd.DataFrame:
    hh = t["household"]
    bad = hh[p.get("strata", "area")].isna()
    return hh.loc[bad, ["village", "hh"]].assign(value="blank")


def _selected_without_data(t: Tables, p: dict) -> pd.DataFrame:
    fr = t["frame"].drop_duplicates("village")
    sel = fr[fr["selected"] == 1]
    off = not_visited(sel)
    counts = t["household"].groupby("village").size()
    n = sel["village"].map(counts).fillna(0).astype(int)
    missing = (n == 0) & ~off
    contradicts = (n > 0) & off
    return pd.concat(
        [
            sel.loc[missing, ["village"]].assign(value="no household record"),
            sel.loc[contradicts, ["village"]].assign(
                value=[f"marked not visited, but {k} household record(s)" for k in n[contradicts]]
            ),
        ],
        ignore_index=True,
    )


def _listing_counts(t: Tables, p: dict) -> pd.DataFrame:
    fr = t["frame"].drop_duplicates("village")
    sel = fr[(fr["selected"] == 1) & ~not_visited(fr)]
    listed = sel["listed_hh"] if "listed_hh" in sel else pd.Series(np.nan, index=sel.index)
    sampled = sel["sampled_hh"] if "sampled_hh" in sel else pd.Series(np.nan, index=sel.index)
    problems = [
        (listed.isna() | sampled.isna(), "blank"),
        ((listed <= 0) | (sampled <= 0), "zero or negative"),
        ((listed != listed.round()) | (sampled != sampled.round()), "not whole numbers"),
        (sampled > listed, "more sampled than listed"),
    ]
    why = pd.Series("", index=sel.index, dtype="str")
    for mask, text in problems:
        mask = mask.fillna(False)
        why = why.mask(mask & (why == ""), text)
    bad = why != ""
    return sel.loc[bad, ["village"]].assign(
        value=[
            f"{w}: listed_hh = {a:g}, sampled_hh = {b:g}"
            for w, a, b in zip(why[bad], listed[bad], sampled[bad], strict=True)
        ]
    )


def sample_checks() -> list[Check]:
    """The errors of the frame and the sample, run before any weight is computed."""
    return [
        Check(
            "frame_size_outlier",
            "error",
            "frame",
            "mos_hh",
            "the census size of every village of the frame, selected or not, is within "
            "validation.mos_ratio times the median size of its stratum: each village's size "
            "enters its stratum's total, on which every selection probability rests",
            "check the census household count of these villages in {frame} (a count keyed "
            "in the wrong unit, e.g. x1000, moves every weight of its stratum); if it is "
            "right, widen validation.mos_ratio in the config",
            _size_outlier,
            show_values=True,
        ),
        Check(
            "frame_blank_stratum",
            "error",
            "frame",
            "area",
            "every village of the frame, selected or not, has its stratum "
            "({frame.area}): a village without one drops out of its stratum's size total",
            "enter the stratum of these villages in {frame}",
            _frame_blank_stratum,
        ),
        Check(
            "household_blank_stratum",
            "error",
            "household",
            "area",
            "every sampled household has its stratum ({household.area}), the stratum of its "
            "village in the frame",
            "enter {household.area} for these households in {household}: the stratum of "
            "their village in {frame}",
            _household_blank_stratum,
        ),
        Check(
            "selected_village_without_data",
            "error",
            "frame",
            "selected",
            "every selected village of {frame} has its sampled households in {household} "
            "(respondents or not, with their result codes), or is marked not visited in the "
            "frame (village_result = not_visited), so that the weights adjust for it",
            "add the village's households to {household}; if the team could not visit the "
            "village, set its village_result to 2 (not visited) in {frame} "
            "(docs/raw_layout.md)",
            _selected_without_data,
            show_values=True,
        ),
        Check(
            "frame_listing_counts",
            "error",
            "frame",
            "sampled_hh",
            "every visited selected village has the households listed (listed_hh) and drawn "
            "(sampled_hh) as positive whole numbers, no more drawn than listed: they give "
            "the stage-2 probability",
            "enter the listing counts of these villages in {frame}; a village the team could "
            "not visit is marked village_result = 2 (not visited)",
            _listing_counts,
            show_values=True,
        ),
    ]
