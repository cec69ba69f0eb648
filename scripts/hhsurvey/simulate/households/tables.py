"""Last step of a block: the true records as tables of the raw layout (canonical baseline names).

{table: {column: array}} for every module file and ``hh_true`` (per household: size, wealth,
consumption, OOP and budget share); DataFrames are built later, only for what is kept. Yes/no
answers are coded 1/2; questions skipped by the instrument's filters are NaN.
"""

from __future__ import annotations

import numpy as np

from hhsurvey.simulate.households.block import Block
from hhsurvey.simulate.layout import IPD_COMPONENTS, OPD_COMPONENTS, Tables


def _yesno(x: np.ndarray) -> np.ndarray:
    return np.where(x, 1, 2)


def _keys(b: Block, rows) -> dict[str, np.ndarray]:
    """HH1, HH2, HL1 of the persons at `rows`."""
    return {"HH1": b.HH1[b.h][rows], "HH2": b.HH2[b.h][rows], "HL1": b.HL1[rows]}


def _hh(b: Block) -> dict[str, np.ndarray]:
    hh = {"HH1": b.HH1, "HH2": b.HH2, "HH6": np.where(b.urban, 1, 2)}
    for j in range(10):
        hh[f"HC{j + 1}"] = _yesno(b.hc[:, j])
    hh["DIST_HC"] = b.dist_hc
    hh["DIST_HOSP"] = b.dist_hosp
    hh["HE1"] = b.he1
    hh["HE2"] = b.he2
    for j in range(5):
        hh[f"HF{j + 1}"] = _yesno(b.hf[:, j])
    return hh


def _persons(b: Block) -> dict[str, np.ndarray]:
    return {
        **_keys(b, slice(None)),
        "HL3": b.rel,
        "HL4": np.where(b.female, 2, 1),
        "HL6": b.age,
        "ED4": b.ed,
        "EMP1": b.emp,
        "INS1": _yesno(b.insured),
        "INS2": np.where(b.insured, b.scheme, np.nan),
        "INS2_OTHER": b.ins_other,
        "ILL1": _yesno(b.ill),
        "CHR1": _yesno(b.chronic),
    }


def _opd(b: Block) -> dict[str, np.ndarray]:
    care = b.care
    opd = {
        **_keys(b, b.ep),
        "OP1": _yesno(care),
        "OP2": np.where(care, b.prov, np.nan),
        "OP3": np.where(care, b.visits, np.nan),
        "OP4": np.where(care, np.nan, b.reason),
        "OP4_OTHER": b.reason_other,
    }
    for j, c in enumerate(OPD_COMPONENTS):
        opd[c] = b.opd_amt[:, j]
    opd["OP6"] = np.where(care, _yesno(b.card), np.nan)
    return opd


def _ipd(b: Block) -> dict[str, np.ndarray]:
    ipd = {**_keys(b, b.ap), "IP1": b.fac, "IP2": b.nights}
    for j, c in enumerate(IPD_COMPONENTS):
        ipd[c] = b.ipd_amt[:, j]
    ipd["IP4"] = b.ip4
    return ipd


def _births(b: Block) -> dict[str, np.ndarray]:
    return {
        **_keys(b, b.mothers),
        "MN1": b.mn1,
        "MN2": b.place,
        "MN3": b.assistant,
        "MN4": b.mn4,
    }


def _u5(b: Block) -> dict[str, np.ndarray]:
    return {
        **_keys(b, b.kid),
        "CA1": _yesno(b.ca1),
        "CA2": _yesno(b.ca2),
        "CA3": _yesno(b.ca3),
        "CA4": _yesno(b.ca4),
        "CA5": _yesno(b.ca5),
        "CA6": np.where(b.sym, _yesno(b.ca6), np.nan),
        "CA7": np.where(b.ca6, b.ca7, np.nan),
    }


def _food(b: Block) -> dict[str, np.ndarray]:
    food = b.food
    return {
        "HH1": b.HH1[food["_h"]],
        "HH2": b.HH2[food["_h"]],
        "FOOD_ITEM": food["FOOD_ITEM"],
        "FOOD_BUY": food["FOOD_BUY"],
        "FOOD_OWN": food["FOOD_OWN"],
        "FOOD_GIFT": food["FOOD_GIFT"],
    }


def _nonfood(b: Block) -> dict[str, np.ndarray]:
    nonfood = b.nonfood
    return {
        "HH1": b.HH1[nonfood["_h"]],
        "HH2": b.HH2[nonfood["_h"]],
        "NF_ITEM": nonfood["NF_ITEM"],
        "NF_RECALL": nonfood["NF_RECALL"],
        "NF_VALUE": nonfood["NF_VALUE"],
    }


def _hh_true(b: Block) -> dict[str, np.ndarray]:
    return {
        "HH1": b.HH1,
        "HH2": b.HH2,
        "hhsize": b.size,
        "wealth": b.w,
        "pc_nonhealth_month": b.pc_month,
        "food_annual": b.food_ann,
        "nonfood_annual": b.nf_ann,
        "oop_annual": b.oop,
        "consumption_annual": b.food_ann + b.nf_ann + b.oop,
        "budget_share": b.share,
    }


def tables(b: Block) -> Tables:
    """The block's tables, in the order of the raw files (then ``hh_true``)."""
    return {
        "hh": _hh(b),
        "persons": _persons(b),
        "opd": _opd(b),
        "ipd": _ipd(b),
        "births": _births(b),
        "u5": _u5(b),
        "food": _food(b),
        "nonfood": _nonfood(b),
        "hh_true": _hh_true(b),
    }
