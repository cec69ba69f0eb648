"""Recording: what fieldwork adds to the sampled true records.

Interview dates within the fieldwork window (villages visited in a random order), the
identifiers of the household (head's name, phone, GPS), and the don't-know / refused answers
of a real export (about 1-2 % of the relevant cells). The planted errors are in
:mod:`hhsurvey.simulate.plant`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from hhsurvey.simulate.layout import (
    AGE_DK,
    AMOUNT_DK,
    AMOUNT_REFUSED,
    IPD_COMPONENTS,
    OPD_COMPONENTS,
    person_key,
)


def _fieldwork_dates(P: dict, villages: pd.DataFrame, hh: pd.DataFrame, rng) -> np.ndarray:
    F = P["fieldwork"]
    start, end = dt.date.fromisoformat(F["start"]), dt.date.fromisoformat(F["end"])
    ndays = (end - start).days + 1
    sel = villages.loc[villages["selected"] == 1, "HH1"].to_numpy()
    order = rng.permutation(len(sel))
    span = max(ndays - F["days_per_village"], 1)
    day0 = dict(zip(sel, np.floor(order * span / len(sel)).astype(int), strict=True))
    d = np.array([day0[v] for v in hh["HH1"].to_numpy()]) + rng.integers(
        0, F["days_per_village"], len(hh)
    )
    d = np.minimum(d, ndays - 1)
    return np.array([start + dt.timedelta(days=int(x)) for x in d], dtype=object)


def _pii(
    P: dict, frame: pd.DataFrame, hh: pd.DataFrame, head_sex: np.ndarray, rng
) -> dict[str, Any]:
    R = P["recording"]
    n = len(hh)
    gm, gf, fam, lao = (
        np.array(R[k], dtype=object)
        for k in ("given_names_male", "given_names_female", "family_names", "lao_names")
    )
    given = np.where(
        head_sex == 2, gf[rng.integers(0, len(gf), n)], gm[rng.integers(0, len(gm), n)]
    )
    latin = given + " " + fam[rng.integers(0, len(fam), n)]
    name = np.where(rng.random(n) < R["name_lao_script"], lao[rng.integers(0, len(lao), n)], latin)
    digits = rng.integers(0, 10_000_000, n)
    phone = np.array(
        [f"{R['phone_prefix']}{d // 10000:03d} {d % 10000:04d}" for d in digits], dtype=object
    )
    phone = np.where(rng.random(n) < R["phone_missing"], "", phone)
    fpos = pd.Index(frame["HH1"]).get_indexer(hh["HH1"])
    lat = np.round(frame["_lat"].to_numpy()[fpos] + 0.002 * rng.standard_normal(n), 6)
    lon = np.round(frame["_lon"].to_numpy()[fpos] + 0.002 * rng.standard_normal(n), 6)
    return {"HH_HEAD_NAME": name, "HH_PHONE": phone, "GPS_LAT": lat, "GPS_LON": lon}


def _set_cells(df: pd.DataFrame, col: str, rows: np.ndarray, value) -> pd.DataFrame:
    if len(rows):
        df.loc[df.index[rows], col] = value
    return df


def _record_noise(
    S: dict[str, pd.DataFrame], P: dict, rng, protected: np.ndarray
) -> dict[str, pd.DataFrame]:
    """Don't-know / refused answers (about 1-2 % of relevant cells)."""
    R = P["recording"]

    def pick(mask: np.ndarray, p: float) -> np.ndarray:
        return np.flatnonzero(mask & (rng.random(len(mask)) < p))

    def amounts(df, cols, eligible, p_dk, p_ref):
        for c in cols:
            elig = eligible & df[c].notna().to_numpy()
            dk = pick(elig, p_dk)
            ref = pick(elig & ~np.isin(np.arange(len(df)), dk), p_ref)
            _set_cells(df, c, dk, float(AMOUNT_DK))
            _set_cells(df, c, ref, float(AMOUNT_REFUSED))

    hh = S["hh"]
    resp = (hh["HH9"] == 1).to_numpy()
    amounts(hh, ["HE1", "HE2"], resp, R["dk_amount"], R["refused_amount"])
    for c in [f"HF{i}" for i in range(1, 6)]:
        _set_cells(hh, c, pick(resp, R["dk_yesno"]), 8.0)
        _set_cells(hh, c, pick(resp & (hh[c] != 8).to_numpy(), R["nr_yesno"]), 9.0)
    for c in [f"HC{i}" for i in range(1, 11)]:
        _set_cells(hh, c, pick(resp, R["nr_yesno"]), 9.0)
    opd = S["opd"]
    care = (opd["OP1"] == 1).to_numpy()
    amounts(opd, list(OPD_COMPONENTS), care, R["dk_amount"], R["refused_amount"])
    _set_cells(opd, "OP6", pick(care, R["dk_yesno"]), 8.0)
    ipd = S["ipd"]
    amounts(ipd, list(IPD_COMPONENTS), np.ones(len(ipd), bool), R["dk_amount"], R["refused_amount"])
    bir = S["births"]
    amounts(bir, ["MN4"], np.ones(len(bir), bool), R["dk_amount"], R["refused_amount"])
    food = S["food"]
    amounts(
        food,
        ["FOOD_BUY", "FOOD_OWN", "FOOD_GIFT"],
        np.ones(len(food), bool),
        R["dk_food_amount"],
        R["dk_food_amount"] / 4,
    )
    nf = S["nonfood"]
    amounts(nf, ["NF_VALUE"], np.ones(len(nf), bool), R["dk_amount"], R["refused_amount"])
    per = S["persons"]
    not_prot = ~np.isin(person_key(per), protected)
    _set_cells(
        per, "HL6", pick((per["HL6"] >= 45).to_numpy() & not_prot, R["dk_age"]), float(AGE_DK)
    )
    ins_dk = pick(np.ones(len(per), bool), R["dk_yesno"] / 2)
    _set_cells(per, "INS1", ins_dk, 8.0)
    _set_cells(per, "INS2", ins_dk, np.nan)
    _set_cells(per, "INS2_OTHER", ins_dk, "")
    _set_cells(per, "CHR1", pick(np.ones(len(per), bool), R["dk_yesno"] / 2), 8.0)
    u5 = S["u5"]
    for c in ("CA1", "CA2", "CA3", "CA4", "CA5"):
        _set_cells(u5, c, pick(np.ones(len(u5), bool), R["dk_yesno"]), 8.0)
    return S


def record(
    S: dict[str, pd.DataFrame], P: dict, frame: pd.DataFrame, villages: pd.DataFrame, rng
) -> dict[str, pd.DataFrame]:
    """Interview dates, identifiers and don't-knows of the sampled records (in this order, from
    `rng`); the mothers keep their true age (their check is a planted error)."""
    hh = S["hh"]
    hh["HH12"] = _fieldwork_dates(P, villages, hh, rng)
    per = S["persons"]
    heads = per[per["HL1"] == 1].set_index(["HH1", "HH2"])["HL4"]
    head_sex = heads.reindex(pd.MultiIndex.from_frame(hh[["HH1", "HH2"]])).fillna(1).to_numpy()
    for k, v in _pii(P, frame, hh, head_sex, rng).items():
        hh[k] = v
    protected = person_key(S["births"])
    return _record_noise(S, P, rng, protected)
