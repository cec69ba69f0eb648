"""Sampling weights from the frame and the household result codes (docs/definitions.md "Weights").

Stage 1: villages drawn with probability proportional to size within strata; a village whose
probability would reach 1 is a certainty unit, and the rest are recomputed, repeatedly, as in
systematic PPS. Stage 2: households drawn from a fresh listing. Non-response is adjusted within
village (falling back to the stratum when a village has no respondent). Every number used is
read from the frame and the data, never assumed.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from hhsurvey.errors import InputError, first_keys
from hhsurvey.prepare.sample_checks import not_visited
from hhsurvey.prepare.selection import stage1_probabilities

__all__ = [
    "calibrate",
    "calibration_counts",
    "diagnostics",
    "household_weights",
    "kish_deff",
    "rake_households",
    "stage1_probabilities",
    "trim_weights",
]

log = logging.getLogger(__name__)


def household_weights(
    frame: pd.DataFrame,
    household: pd.DataFrame,
    *,
    strata: str = "area",
    ineligible: list[str],
    responding: list[str],
    trim_ratio: float | None = None,
) -> pd.DataFrame:
    """Design and non-response-adjusted weights of every sampled household.

    Returns one row per household of the household file with pi1, pi2, design weight,
    eligibility, response, the non-response factor and its level, and the final weight
    (zero for non-respondents and ineligible dwellings).
    """
    fr = frame.assign(pi1=stage1_probabilities(frame, strata))
    sel = fr[fr["selected"] == 1]
    unknown = sorted(set(household["village"]) - set(sel["village"]))
    if unknown:
        in_frame = set(fr["village"])
        detail = [f"{v}" + ("" if v in in_frame else " (not in the frame)") for v in unknown]
        raise InputError(
            f"households come from village(s) {first_keys(detail)} that are not selected villages "
            "of the frame",
            "hh.sav (HH1) against frame.csv (HH1, selected)",
            "add the village to frame.csv with selected = 1 and its listing counts, or correct "
            "the village code in hh.sav",
        )
    off = not_visited(sel)
    visited = sel[~off]
    bad_listing = visited["listed_hh"].isna() | visited["sampled_hh"].isna()
    bad_listing |= (visited["listed_hh"] <= 0) | (visited["sampled_hh"] <= 0)
    bad_listing |= visited["sampled_hh"] > visited["listed_hh"]
    if bad_listing.any():
        raise InputError(
            f"listing counts are blank, zero or inconsistent (sampled > listed) for selected "
            f"village(s) {first_keys([str(v) for v in visited.loc[bad_listing, 'village']])}",
            "frame.csv, columns listed_hh and sampled_hh",
            "enter the number of households listed and sampled in every selected village",
        )
    visited = visited.assign(pi2=visited["sampled_hh"] / visited["listed_hh"])
    hh = household[["village", "hh", strata, "result"]].merge(
        visited[["village", "pi1", "pi2", "mos_hh"]],
        on="village",
        how="left",
        validate="many_to_one",
    )
    hh = hh.assign(design_weight=1.0 / (hh["pi1"] * hh["pi2"]))
    if off.any():
        factor = village_nonresponse(sel, off, strata)
        hh = hh.assign(
            village_nr_factor=hh[strata].map(factor).astype("float64"),
            design_weight=hh["design_weight"] * hh[strata].map(factor).astype("float64"),
        )
    hh = hh.assign(
        eligible=~hh["result"].isin(ineligible),
        responding=hh["result"].isin(responding),
    )
    hh = hh.assign(
        _elig_w=hh["design_weight"] * hh["eligible"],
        _resp_w=hh["design_weight"] * hh["responding"],
    )
    by_village = hh.groupby("village", sort=True).agg(
        elig=("eligible", "sum"), resp=("responding", "sum")
    )
    vf = (by_village["elig"] / by_village["resp"]).where(by_village["resp"] > 0)
    hh = hh.assign(nr_factor_village=hh["village"].map(vf))
    hh = hh.assign(_adj_w=hh["_resp_w"] * hh["nr_factor_village"].fillna(0.0))
    st = hh.groupby(strata, observed=True).agg(elig_w=("_elig_w", "sum"), adj_w=("_adj_w", "sum"))
    if (st["adj_w"] <= 0).any():
        empty = [str(s) for s in st.index[st["adj_w"] <= 0]]
        raise InputError(
            f"stratum {empty} has no responding household at all",
            "hh.sav, HH9 result codes",
            "weights cannot be adjusted for non-response; collapse the stratum with another in "
            "the frame (set its `area`) or check the result codes",
        )
    sf = st["elig_w"] / st["adj_w"]
    hh = hh.assign(nr_factor_stratum=hh[strata].map(sf).astype("float64"))
    empty_villages = sorted(vf.index[vf.isna() & (by_village["elig"] > 0)])
    if empty_villages:
        log.warning(
            "village(s) %s have no responding household; their stratum absorbs them", empty_villages
        )
    hh = hh.assign(
        nr_factor=(hh["nr_factor_village"] * hh["nr_factor_stratum"]).where(hh["responding"], 0.0),
        nr_level=np.where(
            hh[strata].isin(hh.loc[hh["village"].isin(empty_villages), strata].unique()),
            "village+stratum",
            "village",
        ),
    )
    hh = hh.assign(weight=(hh["design_weight"] * hh["nr_factor"]).where(hh["responding"], 0.0))
    if trim_ratio:
        hh = trim_weights(hh, strata=strata, ratio=trim_ratio)
    return hh.drop(columns=["_elig_w", "_resp_w", "_adj_w"])


def village_nonresponse(sel: pd.DataFrame, off: pd.Series, strata: str) -> pd.Series:
    """Per stratum, the factor by which the visited selected villages carry the villages the
    team could not visit (frame ``village_result`` = not visited): the sum of M_i / pi_i over
    the selected villages over the same sum over the visited ones (n_h / r_h for villages
    drawn with probability proportional to size M). Logged; a stratum none of whose villages
    was visited cannot be estimated."""
    size = sel["mos_hh"] / sel["pi1"]
    total = size.groupby(sel[strata], observed=True).sum()
    seen = size[~off].groupby(sel.loc[~off, strata], observed=True).sum()
    factor = (total / seen.reindex(total.index)).astype("float64")
    lost = [str(s) for s in factor.index[~np.isfinite(factor)]]
    if lost:
        raise InputError(
            f"no selected village of stratum {lost} was visited (frame village_result)",
            "frame.csv, column village_result",
            "a stratum needs at least one visited village; collapse it with another stratum in "
            "the frame (its `area`) or check village_result",
        )
    for s, f in factor[factor != 1.0].items():
        missed = sel.loc[off & (sel[strata] == s), "village"].tolist()
        log.warning(
            "stratum %s: village(s) %s selected but not visited (frame village_result); the "
            "visited villages of the stratum carry them: design weights x%.4f",
            s,
            missed,
            f,
        )
    return factor


def trim_weights(hh: pd.DataFrame, *, strata: str, ratio: float) -> pd.DataFrame:
    """Cap weights at ``ratio`` x the median positive weight and restore stratum totals."""
    pos = hh["weight"] > 0
    cap = ratio * float(hh.loc[pos, "weight"].median())
    trimmed = hh["weight"].clip(upper=cap)
    total = hh.groupby(strata, observed=True)["weight"].transform("sum")
    new_total = trimmed.groupby(hh[strata], observed=True).transform("sum")
    n_trim = int((hh["weight"] > cap).sum())
    log.info("trimmed %d weights at %.1f (= %.1f x median)", n_trim, cap, ratio)
    return hh.assign(weight_untrimmed=hh["weight"], weight=trimmed * total / new_total)


def kish_deff(w: pd.Series | np.ndarray) -> float:
    """Kish's design effect due to unequal weights: n * sum(w^2) / sum(w)^2 over positive w."""
    w = np.asarray(w, dtype="float64")
    w = w[w > 0]
    return float(len(w) * np.sum(w**2) / np.sum(w) ** 2) if len(w) else float("nan")


def diagnostics(
    hh: pd.DataFrame,
    frame: pd.DataFrame,
    persons_per_hh: pd.Series,
    *,
    strata: str,
    flag_above: float,
) -> pd.DataFrame:
    """Weight diagnostics as a tidy table: scope (overall, stratum, village), measure, value."""
    rows: list[dict] = []

    def add(scope: str, level: str, measure: str, value: float, note: str = "") -> None:
        rows.append(
            {
                "scope": scope,
                "level": str(level),
                "measure": measure,
                "value": float(value),
                "note": note,
            }
        )

    resp = hh[hh["responding"]]
    w = resp["weight"]
    add("overall", "total", "households_sampled", len(hh))
    add("overall", "total", "households_eligible", int(hh["eligible"].sum()))
    add("overall", "total", "households_responding", len(resp))
    add("overall", "total", "response_rate", len(resp) / max(int(hh["eligible"].sum()), 1))
    sel = frame[frame["selected"] == 1]
    off = not_visited(sel)
    add("overall", "total", "villages_selected", len(sel))
    if off.any():
        add("overall", "total", "villages_not_visited", int(off.sum()), "frame village_result")
    add("overall", "total", "villages_with_respondents", resp["village"].nunique())
    add("overall", "total", "weight_min", w.min())
    add("overall", "total", "weight_max", w.max())
    add("overall", "total", "weight_cv", w.std(ddof=0) / w.mean())
    add("overall", "total", "kish_deff_households", kish_deff(w))
    pw = np.repeat(
        w.to_numpy(),
        persons_per_hh.reindex(pd.MultiIndex.from_frame(resp[["village", "hh"]]))
        .fillna(0)
        .astype(int)
        .to_numpy(),
    )
    add("overall", "total", "kish_deff_persons", kish_deff(pw))
    add("overall", "total", "weighted_households", w.sum())
    add(
        "overall",
        "total",
        "frame_households_census",
        frame["mos_hh"].sum(),
        "census measure of size",
    )
    add("overall", "total", "weighted_persons", float(pw.sum()))
    for s, grp in hh.groupby(strata, observed=True):
        elig = int(grp["eligible"].sum())
        add("stratum", s, "response_rate", grp["responding"].sum() / max(elig, 1))
        add("stratum", s, "weighted_households", grp["weight"].sum())
        add("stratum", s, "frame_households_census", frame.loc[frame[strata] == s, "mos_hh"].sum())
        add("stratum", s, "villages_selected", int((sel[strata] == s).sum()))
        if "village_nr_factor" in grp and (grp["village_nr_factor"] != 1.0).any():
            add(
                "stratum",
                s,
                "village_nonresponse_factor",
                float(grp["village_nr_factor"].iloc[0]),
                "selected villages not visited: carried by the visited ones",
            )
        n_resp = grp.loc[grp["responding"], "village"].nunique()
        add(
            "stratum",
            s,
            "villages_responding",
            n_resp,
            "single responding village (lonely PSU): its variance follows design.lonely_psu"
            if n_resp == 1
            else "",
        )
        if n_resp == 1:
            log.warning(
                "stratum %s has a single responding village: a lonely PSU, whose variance "
                "contribution follows the config's design.lonely_psu",
                s,
            )
    # per village from whole columns (20,000 villages at 1000x the demo): the first row of each
    # village gives its pi1 and pi2, its first responding row the non-response factor
    by = hh.groupby("village", sort=True)
    eligible, responding = by["eligible"].sum(), by["responding"].sum()
    first = hh.drop_duplicates("village").set_index("village").loc[eligible.index]
    factor = (
        hh.loc[hh["responding"]]
        .drop_duplicates("village")
        .set_index("village")["nr_factor"]
        .reindex(eligible.index)
    )
    for v, elig, n_resp, f, pi1, pi2 in zip(
        eligible.index,
        eligible.to_numpy(),
        responding.to_numpy(),
        factor.to_numpy(dtype="float64", na_value=np.nan),
        first["pi1"].to_numpy(),
        first["pi2"].to_numpy(),
        strict=True,
    ):
        elig = int(elig)
        add("village", v, "response_rate", n_resp / elig if elig else float("nan"))
        note = (
            "no respondent: absorbed by stratum"
            if not n_resp
            else (f"factor above {flag_above}" if f > flag_above else "")
        )
        add("village", v, "nonresponse_factor", f if n_resp else float("nan"), note)
        add("village", v, "pi1", float(pi1), "certainty unit" if pi1 >= 1 else "")
        add("village", v, "pi2", float(pi2))
    return pd.DataFrame(rows)


def calibration_counts(
    person: pd.DataFrame, households: pd.DataFrame, age_breaks: list[float], age_labels: list[str]
) -> pd.DataFrame:
    """Members of each household by sex x age group: the calibration variables (one row per
    household of ``households``, columns ``<sex>_<age group>``)."""
    group = pd.cut(person["age"], age_breaks, right=False, labels=age_labels)
    cell = person["sex"].astype("str") + "_" + group.astype("str")
    counts = pd.crosstab([person["village"], person["hh"]], cell.where(group.notna()))
    idx = pd.MultiIndex.from_frame(households[["village", "hh"]])
    return counts.reindex(idx, fill_value=0).reset_index(drop=True)


def rake_households(
    w: np.ndarray, X: np.ndarray, totals: np.ndarray, max_iter: int = 50
) -> np.ndarray:
    """Integrated raking: household weights w* = w exp(X lambda) with sum w* X = totals.

    X holds, per household, its members in each calibration cell, so every member keeps the
    household's weight (integrated household-person calibration). Newton's method on the
    raking-ratio calibration equations (Deville and Sarndal 1992).
    """
    lam = np.zeros(X.shape[1])
    for _ in range(max_iter):
        wstar = w * np.exp(X @ lam)
        gap = totals - wstar @ X
        if np.max(np.abs(gap) / np.maximum(totals, 1.0)) < 1e-10:
            return wstar
        jac = X.T @ (X * wstar[:, None])
        lam = lam + np.linalg.lstsq(jac, gap, rcond=None)[0]
    raise InputError(
        "raking to the census totals did not converge",
        "weights.calibration.totals",
        "check that every sex x age cell has respondents and that the totals are consistent",
    )


def calibrate(
    hh: pd.DataFrame, person: pd.DataFrame, totals: pd.DataFrame, *, path: str
) -> pd.DataFrame:
    """Rake the final weights of responding households to census totals by sex x age group.

    ``totals`` has columns sex, age_group (e.g. "0-4", "65+") and total; age groups are
    read as [lower, upper] years.
    """
    need = {"sex", "age_group", "total"}
    if not need <= set(totals.columns):
        raise InputError(
            f"calibration totals lack column(s) {sorted(need - set(totals.columns))}",
            path,
            "give one row per sex x age group with columns sex, age_group, total",
        )
    groups = list(dict.fromkeys(totals["age_group"].astype("str")))
    lows = [float(g.split("-")[0].rstrip("+")) for g in groups]
    order = np.argsort(lows)
    groups = [groups[i] for i in order]
    breaks = [float(groups[0].split("-")[0].rstrip("+"))] + [
        float(g.split("-")[1]) + 1 if "-" in g else 200.0 for g in groups
    ]
    resp = hh["responding"].to_numpy()
    X = calibration_counts(person, hh.loc[resp], breaks, groups)
    target = totals.assign(
        cell=totals["sex"].astype("str") + "_" + totals["age_group"].astype("str")
    )
    missing = sorted(set(target["cell"]) - set(X.columns))
    if missing:
        raise InputError(
            f"no respondent in calibration cell(s) {missing}",
            path,
            "collapse age groups in the totals table so that every cell has respondents",
        )
    X = X[target["cell"].tolist()]
    new = rake_households(
        hh.loc[resp, "weight"].to_numpy(dtype="float64"),
        X.to_numpy(dtype="float64"),
        target["total"].to_numpy(dtype="float64"),
    )
    factor = pd.Series(1.0, index=hh.index)
    factor.loc[resp] = new / hh.loc[resp, "weight"].to_numpy()
    log.info(
        "raked to %d census cells; factor range %.3f-%.3f",
        len(target),
        factor[resp].min(),
        factor[resp].max(),
    )
    return hh.assign(
        weight_uncalibrated=hh["weight"], calibration_factor=factor, weight=hh["weight"] * factor
    )
