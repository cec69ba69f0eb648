"""The two-stage sample design and the sampled records.

Stage 1: systematic PPS of villages to the census measure of size within stratum (certainty
units); stage 2: a systematic sample of households from the fresh listing; then the interview
result of each sampled household (non-response) and the frame.csv of the export. Works on a
population's frame only (:func:`draw_sample_indices`), or also cuts the sampled households'
records out of its tables (:func:`draw_sample`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hhsurvey.simulate.draws import draw_fixed, expit, logit
from hhsurvey.simulate.layout import MODULE_FILES, hh_key, to_frame
from hhsurvey.simulate.params import round_params


def pps_systematic(
    mos: np.ndarray, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Systematic PPS of n units in frame order, with certainty units.

    A unit with n * mos / total >= 1 is taken with certainty; n and the total are recomputed for
    the rest, repeatedly. Returns (selected mask, first-order inclusion probability).
    """
    mos = np.asarray(mos, float)
    N = len(mos)
    if n >= N:
        return np.ones(N, bool), np.ones(N)
    cert = np.zeros(N, bool)
    while True:
        n_rest = n - int(cert.sum())
        tot = mos[~cert].sum()
        new = ~cert & (n_rest * mos / tot >= 1)
        if n_rest <= 0 or not new.any():
            break
        cert |= new
    n_rest = n - int(cert.sum())
    pi = np.where(cert, 1.0, n_rest * mos / tot if n_rest > 0 else 0.0)
    sel = cert.copy()
    if n_rest > 0:
        rest = np.flatnonzero(~cert)
        cum = np.cumsum(mos[rest])
        step = tot / n_rest
        points = rng.uniform(0, step) + step * np.arange(n_rest)
        sel[rest[np.searchsorted(cum, points, side="right")]] = True
    return sel, pi


def select_villages(
    frame: pd.DataFrame, P: dict, rng: np.random.Generator, scale: int
) -> pd.DataFrame:
    """Stage 1: systematic PPS of villages within stratum (HH1, area, selected, pi1 for all
    villages); a revisiting endline keeps the baseline selection (the frame's ``_revisit``)."""
    S = P["sample"]
    alloc = {1: S["villages_urban"] * scale, 2: S["villages_rural"] * scale}
    area = frame["area"].to_numpy()
    mos = frame["mos_hh"].to_numpy(float)
    selected = np.zeros(len(frame), bool)
    pi1 = np.zeros(len(frame))
    if "_revisit" in frame and P.get("revisit_baseline_villages", False):
        selected = frame["_revisit"].to_numpy(bool)
        for a, nh in alloc.items():
            m = area == a
            _, pi1[m] = pps_systematic(mos[m], nh, np.random.default_rng(0))
    else:
        for a, nh in alloc.items():
            m = area == a
            selected[m], pi1[m] = pps_systematic(mos[m], nh, rng)
    return pd.DataFrame(
        {"HH1": frame["HH1"].to_numpy(), "area": area, "selected": selected.astype(int), "pi1": pi1}
    )


def draw_sample_indices(
    population: dict[str, pd.DataFrame],
    params: dict,
    rng: np.random.Generator,
    round: str | None = None,
) -> dict[str, pd.DataFrame]:
    """One draw of the two-stage design on a population (only its ``frame`` is used).

    Stage 1: systematic PPS of villages to ``mos_hh`` within stratum (certainty units).
    Stage 2: systematic random sample of ``households_per_village`` from the fresh listing
    (all ``hh_count`` households, numbered 1..hh_count in listing order).
    Then the interview result HH9 of each sampled household.

    Returns ``villages`` (HH1, area, mos_hh, selected, listed_hh, sampled_hh, pi1; all villages)
    and ``households`` (HH1, HH2, HH6, HH9, pi1, pi2, pi, design_weight; sampled households).
    """
    frame = population["frame"]
    meta = population.get("meta")
    if round is None:
        round = str(meta["round"].iloc[0]) if meta is not None else "baseline"
    scale = int(meta["scale"].iloc[0]) if meta is not None else 1
    P = round_params(params, round)
    vs = select_villages(frame, P, rng, scale)
    m = P["sample"]["households_per_village"]
    sel = np.flatnonzero(vs["selected"].to_numpy() == 1)
    L = frame["hh_count"].to_numpy(np.int64)[sel]
    k = np.minimum(L, m)
    step = L / k
    # systematic positions: floor(start + j * step), j < k (vectorised with a padded matrix)
    j = np.arange(m)[None, :]
    posm = np.floor(
        rng.uniform(0, 1, len(sel))[:, None] * step[:, None] + j * step[:, None]
    ).astype(np.int64)
    valid = j < k[:, None]
    hv = np.repeat(sel, k)
    HH2 = posm[valid] + 1
    listed = np.zeros(len(frame), np.int64)
    sampled = np.zeros(len(frame), np.int64)
    listed[sel], sampled[sel] = L, k
    villages = vs.assign(mos_hh=frame["mos_hh"].to_numpy(), listed_hh=listed, sampled_hh=sampled)
    pi1 = vs["pi1"].to_numpy()[hv]
    pi2 = (k / L)[np.repeat(np.arange(len(sel)), k)]
    area = frame["area"].to_numpy()[hv]
    # interview result: completion depends on area and a village effect (missing at random within village)
    R = P["response"]
    pc = expit(
        logit(np.where(area == 1, R["complete_urban"], R["complete_rural"]))
        + frame["_u_resp"].to_numpy()[hv]
    )
    done = rng.random(len(hv)) < pc
    other = np.array(R["other_codes"])[draw_fixed(rng, R["other_share"], len(hv))]
    households = pd.DataFrame(
        {
            "HH1": frame["HH1"].to_numpy()[hv],
            "HH2": HH2,
            "HH6": area,
            "HH9": np.where(done, 1, other),
            "pi1": pi1,
            "pi2": pi2,
            "pi": pi1 * pi2,
            "design_weight": 1 / (pi1 * pi2),
        }
    )
    return {"villages": villages, "households": households}


def subset(tables, keys: np.ndarray) -> dict[str, pd.DataFrame]:
    """Rows of the households with the given keys (DataFrames or dicts of arrays in, DataFrames out)."""
    out = {}
    for name, t in tables.items():
        m = np.isin(hh_key(t), keys)
        if isinstance(t, pd.DataFrame):
            out[name] = t[m].reset_index(drop=True)
        else:
            out[name] = to_frame({c: np.asarray(v)[m] for c, v in t.items()})
    return out


def apply_response(
    sample: dict[str, pd.DataFrame], households: pd.DataFrame, round: str
) -> dict[str, pd.DataFrame]:
    """hh.sav keeps every sampled household; content and module rows only for HH9 = 1."""
    resp_keys = hh_key(households[households["HH9"] == 1])
    hh = households[["HH1", "HH2", "HH6", "HH9"]].merge(
        sample["hh"].drop(columns=["HH6"]), on=["HH1", "HH2"], how="left"
    )
    blank = hh["HH9"].to_numpy() != 1
    content = [c for c in hh.columns if c not in ("HH1", "HH2", "HH6", "HH9")]
    hh[content] = hh[content].astype({c: float for c in content if hh[c].dtype.kind in "iub"})
    hh.loc[blank, content] = np.nan
    out = {"hh": hh}
    for name in ("food", "nonfood", "persons", "opd", "ipd", "births", "u5"):
        df = sample[name]
        out[name] = df[np.isin(hh_key(df), resp_keys)].reset_index(drop=True)
    out["hh_true"] = sample["hh_true"]
    return out


def draw_sample(
    population: dict[str, pd.DataFrame],
    params: dict,
    rng: np.random.Generator,
    round: str | None = None,
) -> dict[str, pd.DataFrame]:
    """Draw one sample and return its records (true values; non-response applied).

    Keys: ``frame`` (frame.csv layout), ``design`` (households with pi1, pi2, HH9), and the
    module tables in the raw layout (hh without HH12/PII).
    """
    idx = draw_sample_indices(population, params, rng, round)
    hhs = idx["households"]
    tables = {k: v for k, v in population.items() if k in (*MODULE_FILES, "hh_true")}
    sample = apply_response(subset(tables, hh_key(hhs)), hhs, round or "baseline")
    sample["frame"] = frame_csv(population["frame"], idx["villages"])
    sample["design"] = hhs
    return sample


def _masked_int(values: np.ndarray, keep: np.ndarray) -> pd.api.extensions.ExtensionArray:
    arr = pd.array(np.where(keep, values, 0), dtype="Int64")
    arr[~keep] = pd.NA
    return arr


def frame_csv(frame: pd.DataFrame, villages: pd.DataFrame) -> pd.DataFrame:
    """frame.csv of the export: every village, with listed and sampled households if selected."""
    sel = villages["selected"].to_numpy() == 1
    return pd.DataFrame(
        {
            "HH1": frame["HH1"].to_numpy(),
            "village_en": frame["village_en"].to_numpy(),
            "village_lo": frame["village_lo"].to_numpy(),
            "area": frame["area"].to_numpy(),
            "mos_hh": frame["mos_hh"].to_numpy(),
            "selected": sel.astype(int),
            "listed_hh": _masked_int(villages["listed_hh"].to_numpy(), sel),
            "sampled_hh": _masked_int(villages["sampled_hh"].to_numpy(), sel),
        }
    )
