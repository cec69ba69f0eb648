"""Planted errors: a few mistakes a real export has, listed in planted_errors.csv.

Each error overwrites one cell of the recorded sample (an implausible age, a skip-pattern
violation, an extreme amount, a date outside fieldwork, ...) and names the validation check that
should find it. None is fatal: no duplicate keys, no orphans. Named ``plant`` so it is not taken
for :mod:`hhsurvey.errors` (the library's exceptions).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from hhsurvey.simulate.layout import AMOUNT_DK, ENDLINE_RENAMES

COLUMNS = ["error_id", "file", "keys", "variable", "value", "description", "expected_check"]


class _Planter:
    """Picks the rows to spoil (from one generator, in call order) and keeps the list of errors."""

    def __init__(self, rng) -> None:
        self.rng = rng
        self.errs: list[tuple[str, ...]] = []

    def choose(self, mask, used=()) -> int | None:
        idx = np.setdiff1d(np.flatnonzero(mask), np.asarray(list(used), dtype=np.int64))
        if len(idx) == 0:
            return None
        return int(self.rng.choice(idx))

    def add(self, eid, file, df, i, var, value, desc, check, with_line=True) -> None:
        df.loc[df.index[i], var] = value
        shown = (
            value.isoformat()
            if isinstance(value, dt.date)
            else (f"{value:.0f}" if isinstance(value, float) else str(value))
        )
        self.errs.append((eid, f"{file}.sav", _keys_of(df, i, with_line), var, shown, desc, check))


def _keys_of(df, i, with_line=True) -> str:
    r = df.iloc[i]
    k = f"HH1={int(r['HH1'])};HH2={int(r['HH2'])}"
    return k + (f";HL1={int(r['HL1'])}" if with_line and "HL1" in df else "")


def _mother_age(pl: _Planter, per: pd.DataFrame, bir: pd.DataFrame) -> set[int]:
    """E06: a mother's age keyed too young for her last birth; returns the mother's row."""
    mothers = set()
    b = pl.choose((bir["MN1"] >= 13).to_numpy())
    if b is not None:
        r = bir.iloc[b]
        pi = np.flatnonzero(
            (
                (per["HH1"] == r["HH1"]) & (per["HH2"] == r["HH2"]) & (per["HL1"] == r["HL1"])
            ).to_numpy()
        )[0]
        mothers.add(pi)
        pl.add(
            "E06",
            "persons",
            per,
            pi,
            "HL6",
            13.0,
            f"Mother's age keyed as 13 (true {int(per['HL6'].iloc[pi])}); last birth {int(r['MN1'])} months ago, so she was under 12 at the birth",
            "mother_age_at_birth",
        )
    return mothers


def _old_age(pl: _Planter, per: pd.DataFrame, mothers: set[int]) -> None:
    """E01: an implausible age (not on the mother of E06)."""
    a = (per["HL6"] >= 60) & (per["HL6"] <= 85)
    i = pl.choose(a.to_numpy(), mothers)
    if i is not None:
        pl.add(
            "E01",
            "persons",
            per,
            i,
            "HL6",
            120.0,
            f"Age 120 (true {int(per['HL6'].iloc[i])}): implausible age",
            "age_out_of_range",
        )


def _episodes(pl: _Planter, opd: pd.DataFrame, op5b: str) -> None:
    """E02, E03, E04, E08: skip patterns, visits and an extreme amount, on different episodes."""
    used: set[int] = set()
    care = (opd["OP1"] == 1).to_numpy()
    i = pl.choose(care, used)
    if i is not None:
        used.add(i)
        pl.add(
            "E02",
            "opd",
            opd,
            i,
            "OP4",
            1.0,
            "Reason for not seeking care answered although care was sought (OP1 = 1)",
            "skip_op4_when_care_sought",
        )
    i = pl.choose(~care & (opd["OP1"] == 2).to_numpy(), used)
    if i is not None:
        used.add(i)
        pl.add(
            "E03",
            "opd",
            opd,
            i,
            op5b,
            25000.0,
            "Medicines spending on an episode where no care was sought (OP1 = 2)",
            "spending_without_care",
        )
    i = pl.choose(care, used)
    if i is not None:
        used.add(i)
        pl.add(
            "E04",
            "opd",
            opd,
            i,
            "OP3",
            75.0,
            "75 visits for one episode in 30 days",
            "visits_out_of_range",
        )
    i = pl.choose(care & (opd[op5b] < AMOUNT_DK).to_numpy(), used)
    if i is not None:
        used.add(i)
        pl.add(
            "E08",
            "opd",
            opd,
            i,
            op5b,
            450_000_000.0,
            "Medicines 450,000,000 LAK for one episode (absurdly extreme amount)",
            "extreme_amount",
        )


def _admission(pl: _Planter, ipd: pd.DataFrame) -> None:
    """E05: an admission of over half a year."""
    i = pl.choose(np.ones(len(ipd), bool))
    if i is not None:
        pl.add(
            "E05",
            "ipd",
            ipd,
            i,
            "IP2",
            200.0,
            "Admission with 200 nights (over half a year)",
            "nights_out_of_range",
        )


def _interview_date(pl: _Planter, hh: pd.DataFrame) -> None:
    """E07: an interview date a year early (outside the fieldwork window)."""
    i = pl.choose((hh["HH9"] == 1).to_numpy())
    if i is not None:
        d = hh["HH12"].iloc[i]
        bad = d.replace(year=d.year - 1)
        pl.add(
            "E07",
            "hh",
            hh,
            i,
            "HH12",
            bad,
            f"Interview date {bad.isoformat()} outside the fieldwork window (year keyed wrong)",
            "date_outside_fieldwork",
            with_line=False,
        )


def plant_errors(
    S: dict[str, pd.DataFrame], P: dict, rng, round: str
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """A few errors a real export has (none fatal: no duplicate keys, no orphans).

    `S` holds the recorded tables with the round's variable names; they are changed in place.
    Returns them with the list of errors (the columns of planted_errors.csv), sorted by id.
    """
    pl = _Planter(rng)
    op5b = ENDLINE_RENAMES["opd"]["OP5B"] if round == "endline" else "OP5B"
    per, opd, ipd, bir, hh = S["persons"], S["opd"], S["ipd"], S["births"], S["hh"]
    # E06 first: the mother's age (so E01 does not hit the same person)
    mothers = _mother_age(pl, per, bir)
    _old_age(pl, per, mothers)
    _episodes(pl, opd, op5b)
    _admission(pl, ipd)
    _interview_date(pl, hh)
    pl.errs.sort(key=lambda e: e[0])
    return S, pd.DataFrame(pl.errs, columns=COLUMNS)
