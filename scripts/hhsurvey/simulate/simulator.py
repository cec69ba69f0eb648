"""Synthetic Vang Vieng household health survey: population, sample, raw files and truth.

Everything here is SYNTHETIC. The simulator builds a finite population of Vang Vieng
district (villages, households, persons and every module of the questionnaire), draws the
documented two-stage sample (QUESTIONNAIRE.md, "Sample design"), writes the raw export in the
exact layout (frame.csv and the SPSS .sav files) and writes the finite-population values of the
headline indicators (truth.csv) computed on the whole population with the DEFINITIONS.md
formulas. All parameters live in ``config/simulate.yaml``; every function is pure and seeded.

Public interface
----------------
- :func:`simulate_population` - the full population (dict of DataFrames, true values).
- :func:`draw_sample_indices` - one draw of the sample design: villages and households with
  inclusion probabilities and interview results (cheap; for coverage studies).
- :func:`draw_sample` - the sampled records (true values, non-response applied).
- :func:`compute_truth` - finite-population values of the headline indicators.
- :func:`write_demo` - all files of the raw layout into a folder.

Random streams are derived from ``params["seed"]`` with :class:`numpy.random.SeedSequence`,
so each stage (frame, content, sample, recording) is reproducible on its own.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import functools
import logging
import multiprocessing
import os
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyreadstat
import yaml
from scipy.special import betainc

from hhsurvey.paths import REPO

log = logging.getLogger(__name__)

ROUNDS = ("baseline", "endline")
ROUND_ID = {"baseline": 0, "endline": 1}
STREAM_FRAME, STREAM_CONTENT, STREAM_SAMPLE, STREAM_RECORD, STREAM_ENDLINE_FRAME = 1, 2, 3, 4, 5
CHUNK_VILLAGES = 2000  # villages generated at once (memory bound for large scales)
AMOUNT_DK, AMOUNT_REFUSED = 9_999_998, 9_999_999
AGE_DK = 98
PUBLIC_PROVIDERS = (1, 2, 3)
FACILITY_PLACES = (21, 22, 23, 31)
OPD_COMPONENTS = ("OP5A", "OP5B", "OP5C", "OP5D", "OP5E", "OP5F")
IPD_COMPONENTS = ("IP3A", "IP3B", "IP3C", "IP3D", "IP3E", "IP3F")
SDG_COMPONENTS = (
    0,
    1,
    2,
    5,
)  # registration, medicines, tests, informal payments (not transport, food)
PII_COLUMNS = ("HH_HEAD_NAME", "HH_PHONE", "GPS_LAT", "GPS_LON")
ENDLINE_RENAMES = {
    "persons": {"ILL1": "ILL30"},
    "opd": {f"OP5{c}": f"OP5_{i}" for i, c in enumerate("ABCDEF", start=1)},
}
MODULE_FILES = ("hh", "food", "nonfood", "persons", "opd", "ipd", "births", "u5")

# --------------------------------------------------------------------------------------------
# Layout of the raw export (QUESTIONNAIRE.md). kind decides format, labels and missing codes.
# --------------------------------------------------------------------------------------------

VALUE_LABELS: dict[str, dict[int, str]] = {
    "area": {1: "urban", 2: "rural"},
    "yesno": {1: "yes", 2: "no", 8: "don't know", 9: "no response"},
    "result": {
        1: "completed",
        2: "no competent member at home",
        3: "refused",
        4: "dwelling vacant / not found",
        5: "partly completed",
        6: "other",
    },
    "relation": {
        1: "head",
        2: "spouse",
        3: "child",
        4: "child-in-law",
        5: "grandchild",
        6: "parent",
        7: "other relative",
        8: "not related",
    },
    "sex": {1: "male", 2: "female"},
    "education": {
        0: "none",
        1: "primary",
        2: "lower secondary",
        3: "upper secondary",
        4: "vocational / higher",
    },
    "activity": {
        1: "civil servant / military / police",
        2: "private formal employee",
        3: "self-employed non-farm",
        4: "farmer",
        5: "student",
        6: "household work",
        7: "unemployed",
        8: "too old / ill",
        9: "child not working",
    },
    "scheme": {
        1: "SASS (civil servants)",
        2: "SSO (private employees)",
        3: "CBHI (community-based)",
        4: "Health Equity Fund",
        5: "private insurance",
        6: "other",
    },
    "provider": {
        1: "central / provincial hospital",
        2: "district hospital",
        3: "health centre",
        4: "private hospital or clinic",
        5: "pharmacy or drug seller",
        6: "traditional healer",
        7: "facility abroad",
        8: "village health volunteer",
        96: "other",
    },
    "reason": {
        1: "not serious",
        2: "too expensive",
        3: "too far / no transport",
        4: "treated self with medicines at home",
        5: "no time",
        6: "poor quality / no staff or drugs",
        7: "did not know where to go",
        96: "other",
    },
    "payment": {
        1: "current income or savings",
        2: "borrowing",
        3: "sale of assets or livestock",
        4: "insurance paid",
        5: "relatives",
        6: "free / Health Equity Fund",
        96: "other",
    },
    "place": {
        11: "home",
        21: "central / provincial hospital",
        22: "district hospital",
        23: "health centre",
        31: "private facility",
        96: "other",
    },
    "assistant": {
        1: "doctor",
        2: "nurse / midwife",
        3: "auxiliary midwife",
        4: "traditional birth attendant",
        5: "relative / friend",
        6: "no one",
    },
    "food_item": {
        1: "glutinous rice",
        2: "ordinary rice",
        3: "other cereals and bread",
        4: "meat",
        5: "fish and seafood",
        6: "eggs",
        7: "milk and dairy",
        8: "vegetables",
        9: "fruit",
        10: "oil and fat",
        11: "sugar and sweets",
        12: "salt, spices, condiments",
        13: "non-alcoholic drinks",
        14: "alcohol and tobacco",
        15: "meals eaten outside the home",
    },
    "nf_item": {
        1: "firewood and charcoal",
        2: "gas and fuel",
        3: "electricity",
        4: "water",
        5: "transport (not for health)",
        6: "telephone and internet",
        7: "soap and personal care",
        8: "household supplies",
        9: "clothing and footwear",
        10: "education fees and supplies",
        11: "ceremonies and festivals",
        12: "house repairs and rent",
        13: "durable goods purchases",
        14: "taxes and fees",
    },
    "recall": {1: "last 30 days", 2: "last 12 months"},
    "amount": {AMOUNT_DK: "don't know", AMOUNT_REFUSED: "refused"},
    "age": {AGE_DK: "don't know"},
}

_HC = [
    "electricity",
    "improved water source",
    "improved toilet",
    "finished floor",
    "radio",
    "television",
    "refrigerator",
    "mobile phone",
    "motorcycle",
    "car / truck",
]
_HF = [
    "borrowed money",
    "sold assets or livestock",
    "used savings",
    "received help from relatives",
    "reduced spending on food or schooling",
]
_COMP = [
    "registration and consultation",
    "medicines",
    "tests",
    "transport",
    "food and lodging",
    "informal payments and gifts",
]

# (name, label, kind, value-label set)
LAYOUT: dict[str, list[tuple[str, str, str, str | None]]] = {
    "hh": [
        ("HH1", "Village (cluster) number", "key", None),
        ("HH2", "Household number (listing line)", "key", None),
        ("HH6", "Area", "code", "area"),
        ("HH9", "Result of household interview", "code", "result"),
        ("HH12", "Date of interview", "date", None),
        ("HH_HEAD_NAME", "Name of household head", "text", None),
        ("HH_PHONE", "Household phone number", "text", None),
        ("GPS_LAT", "GPS latitude", "gps", None),
        ("GPS_LON", "GPS longitude", "gps", None),
        *[(f"HC{i + 1}", f"Dwelling/assets: {t}", "yesno", "yesno") for i, t in enumerate(_HC)],
        ("DIST_HC", "Travel time to nearest health centre (minutes)", "count", None),
        ("DIST_HOSP", "Travel time to district hospital (minutes)", "count", None),
        ("HE1", "Medicines bought without consulting, last 30 days (LAK)", "amount", "amount"),
        ("HE2", "Other health spending, last 12 months (LAK)", "amount", "amount"),
        *[
            (f"HF{i + 1}", f"To pay for care, 12 months: {t}", "yesno", "yesno")
            for i, t in enumerate(_HF)
        ],
    ],
    "food": [
        ("HH1", "Village (cluster) number", "key", None),
        ("HH2", "Household number (listing line)", "key", None),
        ("FOOD_ITEM", "Food item", "code", "food_item"),
        ("FOOD_BUY", "Value purchased, last 7 days (LAK)", "amount", "amount"),
        ("FOOD_OWN", "Value of own production consumed, last 7 days (LAK)", "amount", "amount"),
        ("FOOD_GIFT", "Value received in kind, last 7 days (LAK)", "amount", "amount"),
    ],
    "nonfood": [
        ("HH1", "Village (cluster) number", "key", None),
        ("HH2", "Household number (listing line)", "key", None),
        ("NF_ITEM", "Non-food item", "code", "nf_item"),
        ("NF_RECALL", "Recall period", "code", "recall"),
        ("NF_VALUE", "Value (LAK)", "amount", "amount"),
    ],
    "persons": [
        ("HH1", "Village (cluster) number", "key", None),
        ("HH2", "Household number (listing line)", "key", None),
        ("HL1", "Line number", "key", None),
        ("HL3", "Relationship to head", "code", "relation"),
        ("HL4", "Sex", "code", "sex"),
        ("HL6", "Age in completed years", "age", "age"),
        ("ED4", "Highest level completed", "code", "education"),
        ("EMP1", "Main activity, last 12 months", "code", "activity"),
        ("INS1", "Covered by any health insurance / social health protection", "yesno", "yesno"),
        ("INS2", "Health protection scheme", "code", "scheme"),
        ("INS2_OTHER", "Scheme: other, specify", "text", None),
        ("ILL1", "Ill or injured in the last 30 days", "yesno", "yesno"),
        ("CHR1", "Chronic illness or disability", "yesno", "yesno"),
    ],
    "opd": [
        ("HH1", "Village (cluster) number", "key", None),
        ("HH2", "Household number (listing line)", "key", None),
        ("HL1", "Line number", "key", None),
        ("OP1", "Sought any care or advice", "yesno", "yesno"),
        ("OP2", "First provider", "code", "provider"),
        ("OP3", "Number of visits for this episode", "count", None),
        ("OP4", "Main reason for not seeking care", "code", "reason"),
        ("OP4_OTHER", "Reason: other, specify", "text", None),
        *[
            (c, f"Episode spending: {t} (LAK)", "amount", "amount")
            for c, t in zip(OPD_COMPONENTS, _COMP, strict=True)
        ],
        ("OP6", "Used an insurance or HEF card", "yesno", "yesno"),
    ],
    "ipd": [
        ("HH1", "Village (cluster) number", "key", None),
        ("HH2", "Household number (listing line)", "key", None),
        ("HL1", "Line number", "key", None),
        ("IP1", "Facility of admission", "code", "provider"),
        ("IP2", "Number of nights", "count", None),
        *[
            (c, f"Admission spending: {t} (LAK)", "amount", "amount")
            for c, t in zip(IPD_COMPONENTS, _COMP, strict=True)
        ],
        ("IP4", "Main source of payment", "code", "payment"),
    ],
    "births": [
        ("HH1", "Village (cluster) number", "key", None),
        ("HH2", "Household number (listing line)", "key", None),
        ("HL1", "Line number of the mother", "key", None),
        ("MN1", "Months since the last live birth", "count", None),
        ("MN2", "Place of delivery", "code", "place"),
        ("MN3", "Main assistant at delivery", "code", "assistant"),
        ("MN4", "Total spending on the delivery (LAK)", "amount", "amount"),
    ],
    "u5": [
        ("HH1", "Village (cluster) number", "key", None),
        ("HH2", "Household number (listing line)", "key", None),
        ("HL1", "Line number of the child", "key", None),
        ("CA1", "Diarrhoea in the last 2 weeks", "yesno", "yesno"),
        ("CA2", "Fever in the last 2 weeks", "yesno", "yesno"),
        ("CA3", "Cough in the last 2 weeks", "yesno", "yesno"),
        ("CA4", "Short rapid breaths or difficulty breathing", "yesno", "yesno"),
        ("CA5", "Problem in the chest (not only a blocked nose)", "yesno", "yesno"),
        ("CA6", "Sought advice or treatment", "yesno", "yesno"),
        ("CA7", "Where advice or treatment was first sought", "code", "provider"),
    ],
}


def layout_columns(file: str, round: str = "baseline") -> list[str]:
    """Variable names of one raw file in the instrument of `round`."""
    ren = ENDLINE_RENAMES.get(file, {}) if round == "endline" else {}
    return [ren.get(v[0], v[0]) for v in LAYOUT[file]]


def _value_labels(round: str) -> dict[str, dict[int, str]]:
    vl = copy.deepcopy(VALUE_LABELS)
    if round == "endline":
        vl["scheme"][7] = "National Health Insurance (NHI)"
    return vl


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


def load_params(path: str | Path | None = None) -> dict:
    """Parse config/simulate.yaml (default: ./config/simulate.yaml, else the repository copy)."""
    if path is None:
        cand = Path("config/simulate.yaml")
        path = cand if cand.exists() else REPO / "config" / "simulate.yaml"
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _deep_update(base: dict, over: dict) -> dict:
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _deep_update(base[k], v)
        else:
            base[k] = copy.deepcopy(v)
    return base


def round_params(params: dict, round: str = "baseline") -> dict:
    """Effective parameters of a round: the baseline values, with `endline:` merged over them."""
    if round not in ROUNDS:
        raise ValueError(f"round must be one of {ROUNDS}, got {round!r}")
    P = copy.deepcopy({k: v for k, v in params.items() if k != "endline"})
    P.setdefault("price_index", 1.0)
    P.setdefault("real_growth", 1.0)
    if round == "endline":
        _deep_update(P, params.get("endline", {}))
    P["round"] = round
    return P


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), *(int(k) for k in keys)]))


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p):
    return np.log(p / (1.0 - p))


def _within(counts: np.ndarray) -> np.ndarray:
    """Position 0..count-1 of every element of consecutive groups of the given sizes."""
    counts = np.asarray(counts, np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(counts.sum(), dtype=np.int64) - np.repeat(starts, counts)


def _heap(x) -> np.ndarray:
    """Round amounts the way respondents report them (heaping on round numbers)."""
    x = np.asarray(x, dtype=float)
    step = 500.0 * (1.0 + (x >= 20_000) + 8.0 * (x >= 200_000) + 90.0 * (x >= 2_000_000))
    return np.round(x / step) * step


def _draw_cat(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Index of a categorical draw for every row of a (n, k) probability matrix."""
    probs = np.asarray(probs, float)
    cum = np.cumsum(probs, axis=-1)
    cum /= cum[..., -1:]
    u = rng.random(probs.shape[:-1])
    return np.minimum((u[..., None] > cum).sum(axis=-1), probs.shape[-1] - 1)


def _draw_fixed(rng: np.random.Generator, probs, n: int) -> np.ndarray:
    """n categorical draws (indices) from one probability vector."""
    cum = np.cumsum(np.asarray(probs, float))
    return np.minimum(np.searchsorted(cum / cum[-1], rng.random(n), side="right"), len(cum) - 1)


def _draw_rows(rng: np.random.Generator, table, row: np.ndarray) -> np.ndarray:
    """Categorical draws (indices) with probabilities table[row[i]] (few distinct rows)."""
    cum = np.cumsum(np.asarray(table, float), axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(row))
    out = np.empty(len(row), np.int64)
    for r in range(len(cum)):
        m = row == r
        out[m] = np.minimum(np.searchsorted(cum[r], u[m], side="right"), cum.shape[1] - 1)
    return out


def _gumbel_argmax(rng: np.random.Generator, util: np.ndarray) -> np.ndarray:
    return np.argmax(util + rng.gumbel(size=util.shape), axis=1)


def _age_band5(age: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.array([5, 15, 45, 60]), age, side="right")


def _first_per_group(group: np.ndarray, mask: np.ndarray, n_groups: int) -> np.ndarray:
    """Index of the first element with mask=True in each group (-1 if none); group is sorted."""
    out = np.full(n_groups, -1, dtype=np.int64)
    idx = np.flatnonzero(mask)
    g, first = np.unique(group[idx], return_index=True)
    out[g] = idx[first]
    return out


def _hh_key(df) -> np.ndarray:
    """Household key HH1 * 1e6 + HH2 of a DataFrame or a dict of column arrays."""
    return np.asarray(df["HH1"], dtype=np.int64) * 1_000_000 + np.asarray(df["HH2"], dtype=np.int64)


def _person_key(df) -> np.ndarray:
    return _hh_key(df) * 100 + np.asarray(df["HL1"], dtype=np.int64)


def _to_frame(cols: dict[str, np.ndarray]) -> pd.DataFrame:
    df = pd.DataFrame(cols)
    for c, v in cols.items():
        if np.asarray(v).dtype == object:
            df[c] = df[c].astype("str")
    return df


# --------------------------------------------------------------------------------------------
# Village frame
# --------------------------------------------------------------------------------------------

_NAME_PARTS = [
    ("ນາ", "Na"),
    ("ໂພນ", "Phon"),
    ("ໄຊ", "Xai"),
    ("ທອງ", "Thong"),
    ("ຄຳ", "Kham"),
    ("ໃໝ່", "Mai"),
    ("ດອນ", "Don"),
    ("ຫ້ວຍ", "Houay"),
    ("ນ້ຳ", "Nam"),
    ("ພູ", "Phou"),
    ("ຜາ", "Pha"),
    ("ຫີນ", "Hin"),
    ("ແສງ", "Saeng"),
    ("ສະຫວ່າງ", "Savang"),
    ("ວັງ", "Vang"),
    ("ວຽງ", "Vieng"),
    ("ໂຄກ", "Khok"),
    ("ທ່າ", "Tha"),
    ("ສົມ", "Som"),
    ("ແກ້ວ", "Keo"),
    ("ສີ", "Si"),
    ("ຈັນ", "Chan"),
    ("ມ່ວງ", "Muang"),
    ("ເງິນ", "Ngoen"),
    ("ດີ", "Di"),
    ("ງາມ", "Ngam"),
    ("ຊອງ", "Xong"),
    ("ລາດ", "Lat"),
    ("ບົວ", "Bua"),
    ("ຫຼວງ", "Luang"),
]


def _village_names(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    k = len(_NAME_PARTS)
    if n <= k * (k - 1):
        pairs = rng.choice(k * k, size=n * 2, replace=False)
        pairs = pairs[pairs // k != pairs % k][:n]
        if len(pairs) < n:  # extremely unlikely; fall back to with replacement
            pairs = np.concatenate([pairs, rng.integers(0, k * k, n - len(pairs))])
    else:
        pairs = rng.integers(0, k * k, n)
    en, lo = [], []
    for p in pairs:
        a, b = _NAME_PARTS[p // k], _NAME_PARTS[p % k]
        en.append(f"Ban {a[1]}{b[1].lower()}")
        lo.append(f"ບ້ານ{a[0]}{b[0]}")
    return en, lo


def village_frame(params: dict, seed: int, round: str = "baseline", scale: int = 1) -> pd.DataFrame:
    """All villages of the (scaled) district with census size, true household count and effects.

    Public columns: HH1, village_en, village_lo, area, mos_hh (census households), hh_count (true
    households at survey time = what a complete listing finds). Columns starting with "_" are
    village characteristics and random effects used by the generator.
    """
    scale = int(scale)
    if scale < 1:
        raise ValueError("scale must be >= 1")
    P = round_params(params, "baseline")
    V, pop, RE = P["villages"], P["population"], P["random_effects"]
    rng = _rng(seed, STREAM_FRAME, scale)
    n_u, n_r = V["n_urban"] * scale, V["n_rural"] * scale
    n = n_u + n_r
    urban = np.r_[np.ones(n_u, bool), np.zeros(n_r, bool)]
    g = pop["annual_growth"]
    persons = (
        pop["reference_population"]
        * (1 + g) ** (pop["survey_year"] - pop["reference_year"])
        * scale
    )
    hs = P["households"]
    su = V["urban_household_share"]
    mean_size = su * hs["mean_size_urban"] + (1 - su) * hs["mean_size_rural"]
    H = persons / mean_size
    weight = np.exp(V["size_sd_log"] * rng.standard_normal(n))
    n_town = V["town_centre_villages"] * scale
    weight[:n_town] *= V["town_centre_size_factor"]
    n_hh = np.empty(n)
    n_hh[urban] = su * H * weight[urban] / weight[urban].sum()
    n_hh[~urban] = (1 - su) * H * weight[~urban] / weight[~urban].sum()
    n_hh = np.maximum(np.round(n_hh), V["min_households"]).astype(np.int64)
    # remoteness score (standard normal) drives travel times, wealth and grid access
    remote = rng.standard_normal(n)
    remote[urban] = -1.5 + 0.3 * remote[urban]
    zs = rng.standard_normal((2, n))
    dist_hc = np.where(
        urban,
        V["remoteness_dist_hc_median_urban"] * np.exp(0.3 * zs[0]),
        V["remoteness_dist_hc_median_rural"] * np.exp(V["dist_sd_log"] * remote),
    )
    dist_hosp = np.where(
        urban,
        V["remoteness_dist_hosp_median_urban"] * np.exp(0.3 * zs[1]),
        V["remoteness_dist_hosp_median_rural"]
        * np.exp(V["dist_sd_log"] * (0.8 * remote + 0.6 * zs[1])),
    )
    rho = RE["wealth_remoteness_corr"]
    e = rng.standard_normal((9, n))
    u_w = RE["wealth_sd"] * np.where(urban, e[0], -rho * remote + np.sqrt(1 - rho**2) * e[0])
    electrified = urban | (rng.random(n) < _expit(_logit(V["electrified_rural"]) - 0.8 * remote))
    hef = rng.random(n) < V["hef_village_share"]
    cbhi = rng.random(n) < np.where(urban, V["cbhi_available_urban"], V["cbhi_available_rural"])
    # census measure of size: the count at the census year with village-specific growth noise
    years = pop["survey_year"] - pop["census_year"]
    mos = np.maximum(
        np.round(n_hh * (1 + g) ** (-years) * np.exp(pop["census_noise_sd_log"] * e[1])), 5
    ).astype(np.int64)
    ang = rng.uniform(0, 2 * np.pi, n)
    rad = np.sqrt(rng.random(n)) * np.where(urban, V["spread_deg_urban"], V["spread_deg_rural"])
    lat = V["centre_lat"] + rad * np.sin(ang)
    lon = V["centre_lon"] + rad * np.cos(ang)
    en, lo = _village_names(rng, n)
    df = pd.DataFrame(
        {
            "area": np.where(urban, 1, 2),
            "mos_hh": mos,
            "hh_count": n_hh,
            "village_en": en,
            "village_lo": lo,
            "_remote": remote,
            "_dist_hc": dist_hc,
            "_dist_hosp": dist_hosp,
            "_u_wealth": u_w,
            "_u_ill": RE["illness_sd"] * e[2],
            "_u_care": RE["care_sd"] * e[3],
            "_u_spend": RE["spend_sd"] * e[4],
            "_u_birth": RE["birth_sd"] * e[5],
            "_u_child": RE["child_sd"] * e[6],
            "_u_adm": RE["admission_sd"] * e[7],
            "_u_resp": RE["response_sd"] * e[8],
            "_electrified": electrified,
            "_hef": hef,
            "_cbhi": cbhi,
            "_lat": lat,
            "_lon": lon,
        }
    )
    # frame order: urban first, then by remoteness (geographic order: implicit stratification)
    df = df.sort_values(["area", "_remote"], kind="stable").reset_index(drop=True)
    df.insert(0, "HH1", np.arange(1, n + 1, dtype=np.int64))
    if round == "endline":
        df = _endline_frame(df, params, seed, scale)
    return df


def _endline_frame(base: pd.DataFrame, params: dict, seed: int, scale: int) -> pd.DataFrame:
    """The same villages some years later: grown household counts, the later census as size."""
    PB, PE = round_params(params, "baseline"), round_params(params, "endline")
    rng = _rng(seed, STREAM_ENDLINE_FRAME, scale)
    g = PB["population"]["annual_growth"]
    y0, y1 = PB["population"]["survey_year"], PE["population"]["survey_year"]
    c1 = PE["population"]["census_year"]
    e = rng.standard_normal((2, len(base)))
    df = base.copy()
    df["_baseline_mos_hh"] = base["mos_hh"]
    df["hh_count"] = np.maximum(
        np.round(
            base["hh_count"] * (1 + g) ** (y1 - y0) * np.exp(PE["village_growth_sd_log"] * e[0])
        ),
        PB["villages"]["min_households"],
    ).astype(np.int64)
    census = np.round(
        base["hh_count"]
        * (1 + g) ** (c1 - y0)
        * np.exp(0.5 * PB["population"]["census_noise_sd_log"] * e[1])
    )
    df["mos_hh"] = np.maximum(census, 5).astype(np.int64)
    if PE.get("revisit_baseline_villages", False):
        # revisit: the baseline PPS selection, so the frame keeps the baseline measure of size
        base_sel = _select_villages(
            base, PB, _rng(seed, STREAM_SAMPLE, ROUND_ID["baseline"], scale), scale
        )
        df["_revisit"] = base_sel["selected"].to_numpy() == 1
        df["mos_hh"] = base["mos_hh"]
    return df


# --------------------------------------------------------------------------------------------
# Population content (households, persons and every module), vectorised per block of villages
# --------------------------------------------------------------------------------------------


def _generate_block(
    P: dict, vil: pd.DataFrame, rng: np.random.Generator
) -> dict[str, dict[str, np.ndarray]]:
    """True records of every household of the villages in `vil` (canonical baseline names),
    as {table: {column: array}} (DataFrames are built only for what is kept)."""
    endline = P["round"] == "endline"
    price = float(P["price_index"])
    nv = vil["hh_count"].to_numpy(np.int64)
    H = int(nv.sum())
    vh = np.repeat(np.arange(len(vil)), nv)  # village position of each household
    HH1 = vil["HH1"].to_numpy(np.int64)[vh]
    HH2 = _within(nv) + 1
    urban = vil["area"].to_numpy()[vh] == 1

    def vcol(c):
        return vil[c].to_numpy()[vh]

    # ---- wealth and household size ---------------------------------------------------------
    W, HS = P["wealth"], P["households"]
    mu = np.where(urban, np.log(W["median_pc_month_urban"]), np.log(W["median_pc_month_rural"]))
    lpc0 = (
        mu
        + vcol("_u_wealth")
        + W["sd_household"] * rng.standard_normal(H)
        + np.log(P["real_growth"])
    )
    # the wealth score is relative to the round's own reference level (a rank-like index), so
    # real growth raises consumption without changing behaviour that depends on relative wealth
    lref = np.log(W["wealth_ref_pc_month"] * P["real_growth"])
    w0 = (lpc0 - lref) / W["wealth_ref_sd"]
    head_female = rng.random(H) < HS["female_head"]
    head_age = np.clip(
        HS["head_age_min"] + rng.gamma(HS["head_age_gamma_shape"], HS["head_age_gamma_scale"], H),
        18,
        90,
    ).astype(np.int64)
    lam = np.where(urban, HS["mean_size_urban"], HS["mean_size_rural"]) - 1
    lam = lam * np.interp(head_age, HS["size_head_age_knots"], HS["size_head_age_factor"])
    size = np.minimum(1 + rng.poisson(lam * np.exp(HS["size_wealth_slope"] * w0)), HS["max_size"])
    lpc = lpc0 + W["size_elasticity"] * (np.log(size) - np.log(5))
    w = (lpc - lref) / W["wealth_ref_sd"]  # wealth score
    pc_month = np.exp(lpc) * price  # non-health consumption per person per month, round prices

    # ---- roster -------------------------------------------------------------------------------
    p_sp = np.where(
        head_female,
        HS["spouse_female_head"],
        np.where(head_age < 65, HS["spouse_male_head_young"], HS["spouse_male_head_old"]),
    )
    spouse = (size >= 2) & (rng.random(H) < p_sp)
    gap = HS["spouse_age_gap"] + HS["spouse_age_sd"] * rng.standard_normal(H)
    spouse_age = np.clip(
        np.round(np.where(head_female, head_age + gap, head_age - gap)), 15, 95
    ).astype(np.int64)
    # age of the mother of the head's children (for child ages)
    mother_age = np.where(
        head_female, head_age, np.where(spouse, spouse_age, head_age - HS["spouse_age_gap"])
    )

    n = int(size.sum())
    h = np.repeat(np.arange(H), size)
    pos = _within(size)
    is_head, is_sp = pos == 0, (pos == 1) & spouse[h]
    band = np.searchsorted(np.array([40, 55]), head_age, side="right")
    rel_probs = np.array(
        [
            HS["relationship_probs_head_under40"],
            HS["relationship_probs_head_40to54"],
            HS["relationship_probs_head_55plus"],
        ]
    )
    rel_codes = np.array(HS["relationship_codes"])
    rel = np.where(is_head, 1, np.where(is_sp, 2, rel_codes[_draw_rows(rng, rel_probs, band[h])]))
    u = rng.random(n)
    ma = mother_age[h]
    # child age = mother's current age - her age at the birth; the age at birth follows a
    # fertility-like schedule, truncated at her current age (young mothers have young children)
    exact = ma + rng.random(n)  # the mother's exact age
    age_child = np.zeros(n)
    c3 = rel == 3
    age_child[c3] = np.minimum(
        np.floor(exact[c3] - _age_at_birth(rng, HS, exact[c3])), HS["child_age_max"]
    )
    age_grand = np.zeros(n)
    c5 = rel == 5
    parent_exact = exact[c5] - _age_at_birth(rng, HS, exact[c5] - 15)  # grandchild's parent, 15+
    age_grand[c5] = np.clip(np.floor(parent_exact - _age_at_birth(rng, HS, parent_exact)), 0, 18)
    age = age_child + age_grand  # zero outside relationships 3 and 5
    age[is_head] = head_age[h[is_head]]
    age[is_sp] = spouse_age[h[is_sp]]
    c4, c6, c7, c8 = rel == 4, rel == 6, rel == 7, rel == 8
    age[c4] = 18 + rng.gamma(2.0, 5.0, c4.sum())
    age[c6] = np.minimum(head_age[h[c6]] + 22 + rng.gamma(2.0, 4.0, c6.sum()), 95)
    age[c7] = rng.uniform(0, 65, c7.sum())
    age[c8] = rng.uniform(14, 40, c8.sum())
    age = age.astype(np.int64)
    # birth spacing: siblings (children, grandchildren) at least `birth_spacing` years apart
    age = _space_ages(h, age, rel == 3, HS["birth_spacing"])
    age = _space_ages(h, age, rel == 5, HS["birth_spacing"])
    female = np.select(
        [is_head, is_sp, rel == 4, rel == 6],
        [head_female[h], ~head_female[h], u >= HS["child_in_law_male"], u < HS["parent_female"]],
        u < HS["female_child"],
    )
    # roster order: head, spouse, then by relationship and age (oldest first)
    order = np.argsort(h * 1024 + rel * 128 + (127 - age), kind="stable")
    rel, age, female = rel[order], age[order], female[order]
    HL1 = pos + 1  # h is sorted already, so positions stay 0..size-1
    pv = vh[h]  # village position of each person
    urb_p, w_p = urban[h], w[h]

    # ---- education and activity -----------------------------------------------------------------
    E = P["education"]
    cohort = np.select(
        [age < 30, age < 45, age < 60],
        [E["cohort_15_29"], 0.0, E["cohort_45_59"]],
        E["cohort_60plus"],
    )
    lat_ed = (
        E["wealth"] * w_p
        + E["urban"] * urb_p
        + E["female"] * female
        + cohort
        + rng.standard_normal(n)
    )
    ed = np.searchsorted(np.array(E["cuts"]), lat_ed)
    ed_cap = np.searchsorted(np.array(E["min_age_for_level"]), age, side="right") - 1
    ed = np.minimum(ed, ed_cap).astype(float)
    ed[age < 6] = np.nan
    A = P["activity"]
    ad = age >= 15  # the adult activity model is only needed from age 15
    edn = np.nan_to_num(ed[ad])
    util = (
        np.array(A["intercept"])
        + np.outer(edn, A["education"])
        + np.outer(urb_p[ad], A["urban"])
        + np.outer(female[ad], A["female"])
    )
    util[:, -1] += A["age_old"] * age[ad]
    adult_act = np.full(n, 9)
    adult_act[ad] = np.array(A["codes"])[_gumbel_argmax(rng, util)]
    stud_child = rng.random(n) < _expit(
        A["student_6_14"] + 0.7 * w_p + 0.5 * urb_p - 0.3 * np.maximum(age - 11, 0)
    )
    stud_youth = rng.random(n) < _expit(
        A["student_15_24"] + 0.8 * w_p + 0.5 * urb_p - 0.45 * (age - 16)
    )
    farm_child = rng.random(n) < A["child_farm_work_12_14"]
    emp = np.select(
        [
            age < 6,
            (age < 15) & stud_child,
            (age < 15) & (age >= 12) & farm_child,
            age < 15,
            (age < 25) & stud_youth,
        ],
        [9, 5, 4, 9, 5],
        adult_act,
    )

    # ---- dwelling, assets, distances --------------------------------------------------------------
    AS = P["assets"]
    hc_int = np.where(
        urban[:, None], np.array(AS["intercept_urban"]), np.array(AS["intercept_rural"])
    )
    hc_int[:, 0] = np.where(vcol("_electrified"), hc_int[:, 0], AS["electricity_no_grid"])
    hc = rng.random((H, 10)) < _expit(hc_int + np.outer(w, AS["wealth_slope"]))
    V = P["villages"]
    dsd = V["dist_household_sd_log"]
    dist_hc = np.maximum(
        5 * np.round(vcol("_dist_hc") * np.exp(dsd * rng.standard_normal(H)) / 5), 5
    )
    dist_hosp = np.maximum(
        5 * np.round(vcol("_dist_hosp") * np.exp(dsd * rng.standard_normal(H)) / 5), 5
    )

    # ---- insurance ------------------------------------------------------------------------------
    INS = P["insurance"]
    poor = pc_month < W["poverty_line_pc_month"] * price
    civil = emp == 1
    mil = civil & (rng.random(n) < A["military_police_share"])
    r = rng.random((6, n))
    own_sass = civil & ~mil & (r[0] < INS["sass_own"])
    own_mil = mil & (r[1] < INS["military_own"])
    own_sso = (emp == 2) & (r[2] < INS["sso_registered"])

    def any_in_hh(mask):
        return np.bincount(h, weights=mask, minlength=H) > 0

    scheme = np.zeros(n, np.int64)
    scheme[own_sass] = 1
    scheme[(scheme == 0) & own_mil] = 6
    scheme[(scheme == 0) & own_sso] = 2
    scheme[(scheme == 0) & any_in_hh(own_sass)[h] & (r[3] < INS["sass_dependant"])] = 1
    scheme[(scheme == 0) & any_in_hh(own_mil)[h] & (r[4] < INS["military_dependant"])] = 6
    scheme[(scheme == 0) & any_in_hh(own_sso)[h] & (r[5] < INS["sso_dependant"])] = 2
    formal_hh = any_in_hh(scheme > 0)
    priv = rng.random(n) < _expit(
        INS["private_intercept"] + INS["private_wealth"] * w_p + INS["private_urban"] * urb_p
    )
    # chronic illness first: CBHI enrolment is adverse-selected
    C = P["chronic"]
    chronic = rng.random(n) < _expit(
        np.array(C["logit_by_age"])[np.searchsorted(np.array([15, 45, 60]), age, side="right")]
    )
    if not endline:
        p_cbhi = _expit(
            INS["cbhi_intercept"]
            + INS["cbhi_wealth"] * w
            + INS["cbhi_chronic"] * any_in_hh(chronic)
        )
        cbhi_hh = vcol("_cbhi") & ~formal_hh & (rng.random(H) < p_cbhi)
        hef_hh = vcol("_hef") & (
            rng.random(H) < np.where(poor, INS["hef_poor"], INS["hef_nonpoor"])
        )
        scheme[(scheme == 0) & cbhi_hh[h]] = 3
        scheme[(scheme == 0) & hef_hh[h]] = 4
        scheme[(scheme == 0) & priv] = 5
        hef_card = scheme == 4
    else:
        scheme[(scheme == 0) & priv] = 5
        nhi_hh = rng.random(H) < _expit(_logit(INS["nhi"]) + INS["nhi_wealth"] * w)
        says_hef = poor & (rng.random(H) < INS["hef_reported"])
        new = (scheme == 0) & nhi_hh[h]
        scheme[new] = np.where(says_hef[h][new], 4, 7)
        hef_card = (scheme == 4) | ((scheme == 7) & poor[h])
    insured = scheme > 0
    other_txt = np.array(INS["other_texts_military"], dtype=object)
    ins_other = np.where(scheme == 6, other_txt[rng.integers(0, len(other_txt), n)], "")

    # ---- illness and outpatient care ------------------------------------------------------------
    IL = P["illness"]
    ab = _age_band5(age)
    ill = rng.random(n) < _expit(
        IL["intercept"]
        + np.array(IL["age_effects"])[ab]
        + IL["chronic"] * chronic
        + IL["wealth"] * w_p
        + vil["_u_ill"].to_numpy()[pv]
    )
    CR = P["care"]
    ep = np.flatnonzero(ill)  # person index of each episode
    ne = len(ep)
    eh = h[ep]
    ldh = np.log(dist_hc[eh] / 30)
    ldhosp = np.log(dist_hosp[eh] / 30)
    care = rng.random(ne) < _expit(
        CR["intercept"]
        + CR["wealth"] * w_p[ep]
        + CR["insured"] * insured[ep]
        + CR["log_dist_hc"] * ldh
        + CR["urban"] * urb_p[ep]
        + CR["under5"] * (age[ep] < 5)
        + CR["chronic"] * chronic[ep]
        + CR["age60"] * (age[ep] >= 60)
        + vil["_u_care"].to_numpy()[pv[ep]]
    )
    pcodes = np.array(CR["provider_codes"])
    util = (
        np.log(np.array(CR["provider_base_share"]))
        + np.outer(w_p[ep], CR["provider_wealth"])
        + np.outer(urb_p[ep], CR["provider_urban"])
        + np.outer(insured[ep], CR["provider_insured"])
        + np.outer(ldhosp, CR["provider_log_dist_hosp"])
    )
    kprov = _gumbel_argmax(rng, util)
    prov = pcodes[kprov]
    visits = 1 + rng.poisson(np.array(CR["extra_visits_mean"])[kprov])
    rcodes = np.array(CR["reason_codes"])
    rutil = np.tile(np.log(np.array(CR["reason_base_share"])), (ne, 1))
    rutil[:, 1] += CR["reason_cost_wealth"] * w_p[ep]
    rutil[:, 2] += CR["reason_far_log_dist"] * ldh
    reason = rcodes[_gumbel_argmax(rng, rutil)]
    rtxt = np.array(CR["reason_other_texts"], dtype=object)
    reason_other = np.where(~care & (reason == 96), rtxt[rng.integers(0, len(rtxt), ne)], "")
    pub = np.isin(prov, PUBLIC_PROVIDERS)
    p_card = np.where(
        pub,
        CR["card_use_public"],
        np.where(prov == 4, CR["card_use_private"], CR["card_use_other"]),
    )
    card = care & insured[ep] & (rng.random(ne) < p_card)
    ES = P["episode_spending"]
    u_sp_p = vil["_u_spend"].to_numpy()[pv]
    opd_amt = _spend(
        rng,
        np.array(ES["prob_positive"])[kprov],
        np.array(ES["median"], float)[kprov],
        ES["sd_log"],
        ES["wealth_elasticity"] * w_p[ep] + u_sp_p[ep],
        price,
    )
    dist_for = np.select(
        [np.isin(prov, (1, 2)), prov == 3],
        [dist_hosp[eh], dist_hc[eh]],
        np.minimum(dist_hc[eh], dist_hosp[eh]),
    )
    opd_amt[:, 3] = _heap(opd_amt[:, 3] * (dist_for / 30) ** ES["transport_dist_elasticity"])
    cardpub = card & pub
    if not endline:
        free = cardpub & (hef_card[ep] | (rng.random(ne) < ES["card_zero_prob"]))
        for j in (0, 1, 2):
            opd_amt[:, j] = np.where(
                free,
                0.0,
                np.where(cardpub, _heap(opd_amt[:, j] * ES["card_factor"]), opd_amt[:, j]),
            )
    else:
        copay = np.array(P["nhi_copay_opd"], float)[np.clip(prov - 1, 0, 2)]
        opd_amt[:, 0] = np.where(cardpub, np.where(hef_card[ep], 0.0, copay), opd_amt[:, 0])
        for j in (1, 2):
            opd_amt[:, j] = np.where(
                cardpub, _heap(opd_amt[:, j] * P["nhi_residual_medicines"]), opd_amt[:, j]
            )
    opd_amt[~care] = np.nan

    # ---- admissions ------------------------------------------------------------------------------
    AD = P["admissions"]
    rate = np.exp(
        AD["log_rate_intercept"]
        + np.array(AD["age_effects"])[ab]
        + AD["women_15_49"] * (female & (age >= 15) & (age <= 49))
        + AD["chronic"] * chronic
        + AD["wealth"] * w_p
        + AD["insured"] * insured
        + vil["_u_adm"].to_numpy()[pv]
    )
    nadm = rng.poisson(rate)
    ap = np.repeat(np.arange(n), nadm)  # person index of each admission
    na = len(ap)
    fcodes = np.array(AD["facility_codes"])
    futil = np.log(np.array(AD["facility_base_share"])) + np.outer(w_p[ap], AD["facility_wealth"])
    kfac = _gumbel_argmax(rng, futil)
    fac = fcodes[kfac]
    mean_n = np.array(AD["nights_mean"], float)[kfac]
    k_nb = AD["nights_dispersion"]
    nights = 1 + rng.negative_binomial(k_nb, k_nb / (k_nb + mean_n - 1))
    ipd_amt = _spend(
        rng,
        np.array(AD["prob_positive"])[kfac],
        np.array(AD["median"], float)[kfac],
        AD["sd_log"],
        AD["wealth_elasticity"] * w_p[ap] + u_sp_p[ap],
        price,
    )
    ipd_amt[:, 4] = _heap(ipd_amt[:, 4] * nights)
    ipub = np.isin(fac, PUBLIC_PROVIDERS)
    icard = insured[ap] & ipub & (rng.random(na) < CR["card_use_public"])
    if not endline:
        for j in (0, 1, 2):
            ipd_amt[:, j] = np.where(
                icard & hef_card[ap],
                0.0,
                np.where(icard, _heap(ipd_amt[:, j] * ES["card_factor"]), ipd_amt[:, j]),
            )
    else:
        copay = np.array(P["nhi_copay_ipd"], float)[np.clip(fac - 1, 0, 2)]
        ipd_amt[:, 0] = np.where(icard, np.where(hef_card[ap], 0.0, copay), ipd_amt[:, 0])
        for j in (1, 2):
            ipd_amt[:, j] = np.where(
                icard, _heap(ipd_amt[:, j] * P["nhi_residual_medicines"]), ipd_amt[:, j]
            )

    # ---- births: last live birth of women 15-49, from the youngest child aged 0-1 ---------------------
    BI = P["births"]
    big = 10_000
    yc = np.full(H, big)
    np.minimum.at(yc, h[rel == 3], age[rel == 3])
    yg = np.full(H, big)
    np.minimum.at(yg, h[rel == 5], age[rel == 5])
    ref = _first_per_group(h, female & ((rel == 1) | (rel == 2)), H)
    gm = _first_per_group(h, female & (rel == 4) & (age >= 15) & (age <= 49), H)
    gm2 = _first_per_group(h, female & (rel == 3) & (age >= 16) & (age <= 49), H)
    gm = np.where(gm >= 0, gm, gm2)
    ok1 = (ref >= 0) & (yc <= 1)
    ok1 &= (age[np.maximum(ref, 0)] >= 15) & (age[np.maximum(ref, 0)] <= 49)
    ok2 = (gm >= 0) & (yg <= 1)
    mothers = np.r_[ref[ok1], gm[ok2]]
    child_age = np.r_[yc[ok1], yg[ok2]]
    order_b = np.argsort(mothers, kind="stable")
    mothers, child_age = mothers[order_b], child_age[order_b]
    nb = len(mothers)
    bh = h[mothers]
    mn1 = 12 * child_age + rng.integers(0, 12, nb)
    fac_b = rng.random(nb) < _expit(
        BI["facility_intercept"]
        + BI["facility_wealth"] * w_p[mothers]
        + BI["facility_urban"] * urb_p[mothers]
        + BI["facility_log_dist_hosp"] * np.log(dist_hosp[bh] / 30)
        + BI["facility_education"] * np.nan_to_num(ed[mothers])
        + BI["facility_insured"] * insured[mothers]
        + vil["_u_birth"].to_numpy()[pv[mothers]]
    )
    place = np.where(
        fac_b, np.array(BI["place_codes"])[_draw_fixed(rng, BI["place_share"], nb)], 11
    )
    assistant = 1 + np.where(
        np.isin(place, FACILITY_PLACES),
        _draw_fixed(rng, BI["assistant_facility"], nb),
        _draw_fixed(rng, BI["assistant_home"], nb),
    )
    pkeys = place.astype(str)
    cpos = np.array([BI["cost_prob_positive"][k] for k in pkeys])
    cmed = np.array([BI["cost_median"][k] for k in pkeys], float)
    mn4 = _spend(
        rng,
        cpos[:, None],
        cmed[:, None],
        BI["cost_sd_log"],
        BI["cost_wealth_elasticity"] * w_p[mothers] + u_sp_p[mothers],
        price,
    )[:, 0]
    if endline:
        mn4 = np.where(
            np.isin(place, (21, 22, 23)) & insured[mothers],
            _heap(mn4 * P["nhi_free_delivery"]),
            mn4,
        )

    # ---- under-fives -----------------------------------------------------------------------------
    U = P["under5"]
    kid = np.flatnonzero(age <= 4)
    nk = len(kid)
    z = vil["_u_child"].to_numpy()[pv[kid]] + 0.5 * rng.standard_normal(nk) + U["wealth"] * w_p[kid]
    rk = rng.random((7, nk))
    ca1 = rk[0] < _expit(U["diarrhoea"] + z + 0.4 * (age[kid] < 2))
    ca2 = rk[1] < _expit(U["fever"] + z)
    ca3 = rk[2] < _expit(U["cough"] + z + 0.8 * ca2)
    ca4 = rk[3] < _expit(
        np.where(ca3, U["rapid_breath_if_cough"], U["rapid_breath_no_cough"]) + 0.5 * z
    )
    ca5 = rk[4] < _expit(np.where(ca4, U["chest_if_rapid"], U["chest_no_rapid"]))
    sym = ca1 | ca2 | ca3 | ca4
    ca6 = sym & (
        rk[5]
        < _expit(
            U["care_intercept"]
            + U["care_wealth"] * w_p[kid]
            + U["care_insured"] * insured[kid]
            + U["care_log_dist"] * np.log(dist_hc[h[kid]] / 30)
            + vil["_u_care"].to_numpy()[pv[kid]]
        )
    )
    ca7 = np.array(U["source_codes"])[_draw_fixed(rng, U["source_share"], nk)]

    # ---- household spending outside the modules ------------------------------------------------------
    SM, OH = P["self_medication"], P["other_health_12m"]
    someone_ill = np.bincount(h[ep], minlength=H) > 0
    he1 = np.where(
        rng.random(H)
        < _expit(SM["intercept"] + SM["wealth"] * w + SM["someone_ill"] * someone_ill),
        _heap(
            SM["median"]
            * price
            * np.exp(SM["wealth_elasticity"] * w + SM["sd_log"] * rng.standard_normal(H))
        ),
        0.0,
    )
    he2 = np.where(
        rng.random(H) < _expit(OH["intercept"] + OH["wealth"] * w),
        _heap(
            OH["median"]
            * price
            * np.exp(OH["wealth_elasticity"] * w + OH["sd_log"] * rng.standard_normal(H))
        ),
        0.0,
    )

    # ---- consumption: food (7 days) and non-food items ------------------------------------------------
    cons_nh = pc_month * 12 * size  # annual non-health consumption (round prices)
    fs = np.clip(
        W["food_share_mean"]
        + W["food_share_wealth_slope"] * w
        + W["food_share_urban"] * urban
        + W["food_share_sd"] * rng.standard_normal(H),
        W["food_share_min"],
        W["food_share_max"],
    )
    farmer_hh = any_in_hh(emp == 4)
    student_hh = any_in_hh(emp == 5)
    food = _food_items(rng, P["food"], urban, farmer_hh, fs * cons_nh * 7 / 365)
    nonfood = _nonfood_items(rng, P["nonfood"], urban, w, hc, student_hh, (1 - fs) * cons_nh, price)

    # ---- OOP (as the definitions compute it) and coping -----------------------------------------------
    comp = list(SDG_COMPONENTS)
    oop = (
        12 * np.bincount(eh, weights=np.nan_to_num(opd_amt[:, comp]).sum(1), minlength=H)
        + 12 * he1
        + np.bincount(h[ap], weights=ipd_amt[:, comp].sum(1), minlength=H)
        + he2
        + np.bincount(bh, weights=np.where(mn1 < 12, mn4, 0.0), minlength=H)
    )
    food_ann = (
        np.bincount(
            food["_h"], weights=food["FOOD_BUY"] + food["FOOD_OWN"] + food["FOOD_GIFT"], minlength=H
        )
        * 365
        / 7
    )
    incl = nonfood["NF_ITEM"] <= 12
    nf_ann = np.bincount(
        nonfood["_h"][incl],
        weights=(nonfood["NF_VALUE"] * np.where(nonfood["NF_RECALL"] == 1, 12, 1))[incl],
        minlength=H,
    )
    share = oop / (food_ann + nf_ann + oop)
    CP = P["coping"]
    hf = np.empty((H, 5), bool)
    for j in range(5):
        lg = CP["intercepts"][j] + CP["share_slopes"][j] * share + CP["wealth_slopes"][j] * w
        hf[:, j] = rng.random(H) < _expit(np.where(oop > 0, lg, CP["no_spending_logit"]))
    # IP4 payment source; borrowing / selling for an admission is also a coping answer
    ratio = ipd_amt[:, comp].sum(1) / (food_ann + nf_ann)[h[ap]]
    probs = np.column_stack(
        [
            np.zeros(na),
            np.minimum(AD["borrow_base"] + AD["borrow_slope"] * ratio, 0.6),
            np.minimum(AD["sell_base"] + AD["sell_slope"] * ratio, 0.3),
            np.where(icard & ~hef_card[ap], AD["insurance_paid"], 0.0),
            np.full(na, AD["relatives"]),
            np.where(icard & hef_card[ap], AD["hef_free"], 0.0),
            np.full(na, AD["other_source"]),
        ]
    )
    probs[:, 0] = np.maximum(1 - probs[:, 1:].sum(1), 0.05)
    ip4 = np.array([1, 2, 3, 4, 5, 6, 96])[_draw_cat(rng, probs)]
    hf[np.unique(h[ap][ip4 == 2]), 0] = True
    hf[np.unique(h[ap][ip4 == 3]), 1] = True

    # ---- assemble tables (canonical baseline names) ---------------------------------------------------
    def yesno(b):
        return np.where(b, 1, 2)

    pHH1, pHH2 = HH1[h], HH2[h]
    hh = dict({"HH1": HH1, "HH2": HH2, "HH6": np.where(urban, 1, 2)})
    for j in range(10):
        hh[f"HC{j + 1}"] = yesno(hc[:, j])
    hh["DIST_HC"] = dist_hc
    hh["DIST_HOSP"] = dist_hosp
    hh["HE1"] = he1
    hh["HE2"] = he2
    for j in range(5):
        hh[f"HF{j + 1}"] = yesno(hf[:, j])
    persons = dict(
        {
            "HH1": pHH1,
            "HH2": pHH2,
            "HL1": HL1,
            "HL3": rel,
            "HL4": np.where(female, 2, 1),
            "HL6": age,
            "ED4": ed,
            "EMP1": emp,
            "INS1": yesno(insured),
            "INS2": np.where(insured, scheme, np.nan),
            "INS2_OTHER": ins_other,
            "ILL1": yesno(ill),
            "CHR1": yesno(chronic),
        }
    )
    opd = dict(
        {
            "HH1": pHH1[ep],
            "HH2": pHH2[ep],
            "HL1": HL1[ep],
            "OP1": yesno(care),
            "OP2": np.where(care, prov, np.nan),
            "OP3": np.where(care, visits, np.nan),
            "OP4": np.where(care, np.nan, reason),
            "OP4_OTHER": reason_other,
        }
    )
    for j, c in enumerate(OPD_COMPONENTS):
        opd[c] = opd_amt[:, j]
    opd["OP6"] = np.where(care, yesno(card), np.nan)
    ipd = dict({"HH1": pHH1[ap], "HH2": pHH2[ap], "HL1": HL1[ap], "IP1": fac, "IP2": nights})
    for j, c in enumerate(IPD_COMPONENTS):
        ipd[c] = ipd_amt[:, j]
    ipd["IP4"] = ip4
    births = dict(
        {
            "HH1": pHH1[mothers],
            "HH2": pHH2[mothers],
            "HL1": HL1[mothers],
            "MN1": mn1,
            "MN2": place,
            "MN3": assistant,
            "MN4": mn4,
        }
    )
    u5 = dict(
        {
            "HH1": pHH1[kid],
            "HH2": pHH2[kid],
            "HL1": HL1[kid],
            "CA1": yesno(ca1),
            "CA2": yesno(ca2),
            "CA3": yesno(ca3),
            "CA4": yesno(ca4),
            "CA5": yesno(ca5),
            "CA6": np.where(sym, yesno(ca6), np.nan),
            "CA7": np.where(ca6, ca7, np.nan),
        }
    )
    food_df = dict(
        {
            "HH1": HH1[food["_h"]],
            "HH2": HH2[food["_h"]],
            "FOOD_ITEM": food["FOOD_ITEM"],
            "FOOD_BUY": food["FOOD_BUY"],
            "FOOD_OWN": food["FOOD_OWN"],
            "FOOD_GIFT": food["FOOD_GIFT"],
        }
    )
    nf_df = dict(
        {
            "HH1": HH1[nonfood["_h"]],
            "HH2": HH2[nonfood["_h"]],
            "NF_ITEM": nonfood["NF_ITEM"],
            "NF_RECALL": nonfood["NF_RECALL"],
            "NF_VALUE": nonfood["NF_VALUE"],
        }
    )
    hh_true = dict(
        {
            "HH1": HH1,
            "HH2": HH2,
            "hhsize": size,
            "wealth": w,
            "pc_nonhealth_month": pc_month,
            "food_annual": food_ann,
            "nonfood_annual": nf_ann,
            "oop_annual": oop,
            "consumption_annual": food_ann + nf_ann + oop,
            "budget_share": share,
        }
    )
    return {
        "hh": hh,
        "persons": persons,
        "opd": opd,
        "ipd": ipd,
        "births": births,
        "u5": u5,
        "food": food_df,
        "nonfood": nf_df,
        "hh_true": hh_true,
    }


def _space_ages(group: np.ndarray, age: np.ndarray, mask: np.ndarray, gap: int) -> np.ndarray:
    """Within each group, push the ages of the masked persons apart so that, sorted by age,
    consecutive ones differ by at least `gap` years (the youngest keeps its age)."""
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return age
    o = idx[np.lexsort((age[idx], group[idx]))]
    g = group[o]
    rank = _within(np.unique(g, return_counts=True)[1])
    shifted = age[o] - gap * rank + (g - g.min()) * 10_000  # cummax stays inside each group
    adj = np.maximum.accumulate(shifted) - (g - g.min()) * 10_000 + gap * rank
    out = age.copy()
    out[o] = adj
    return out


@functools.cache
def _beta_table(a: float, b: float, k: int = 4001) -> tuple[np.ndarray, np.ndarray]:
    """Beta(a, b) CDF on a fine grid (inverse CDF by interpolation is exact enough for ages)."""
    grid = np.linspace(0.0, 1.0, k)
    return grid, betainc(a, b, grid)


def _age_at_birth(rng, HS: dict, upper: np.ndarray) -> np.ndarray:
    """Mother's exact age at a birth: lo + span x Beta(a, b) truncated at `upper` (her exact
    age), drawn by inverse CDF; `lo` when she is younger than `lo`."""
    lo, span, a, b = (
        HS["birth_age_min"],
        HS["birth_age_span"],
        HS["birth_age_beta_a"],
        HS["birth_age_beta_b"],
    )
    grid, cdf = _beta_table(a, b)
    t = np.clip((np.asarray(upper, float) - lo) / span, 0.0, 1.0)
    p = rng.random(len(t)) * np.interp(t, grid, cdf)
    return lo + span * np.interp(p, cdf, grid)


def _spend(
    rng, prob: np.ndarray, med: np.ndarray, sd: float, shift: np.ndarray, price: float
) -> np.ndarray:
    """Log-normal amounts with zeros: prob and med are (n, k); shift is a per-row log shift."""
    pos = rng.random(prob.shape) < prob
    amt = med * price * np.exp(shift[:, None] + sd * rng.standard_normal(prob.shape))
    return np.where(pos, _heap(amt), 0.0)


def _food_items(rng, F: dict, urban, farmer_hh, weekly) -> dict[str, np.ndarray]:
    """7-day food items of every household: which items, their value, and the split into
    purchases, own production and gifts (only the consumed cells are worked on)."""
    H, k = len(weekly), 15
    pcons = np.array([F["prob_consumed_rural"], F["prob_consumed_urban"]])
    cons = rng.random((H, k)) < pcons[urban.astype(np.int64)]
    cons[:, 11] |= ~cons.any(1)
    hh_i, it = np.nonzero(cons)  # row-major: households in order, items ascending
    u = urban[hh_i].astype(np.int64)
    share = np.array([F["share_rural"], F["share_urban"]])[u, it]
    wt = share * np.exp(F["share_sd_log"] * rng.standard_normal(len(it)))
    val = weekly[hh_i] * wt / np.bincount(hh_i, weights=wt, minlength=H)[hh_i]
    own_mean = np.array([F["own_share_rural"], F["own_share_urban"]])[u, it]
    own_mean = own_mean * np.where(farmer_hh[hh_i], 1.0, 0.2)
    r = rng.random((3, len(it)))
    own_frac = np.minimum(own_mean * (0.5 + r[0]), 1.0)
    gift_frac = np.where(r[1] < F["gift_prob"], F["gift_share"] * (0.3 + 1.4 * r[2]), 0.0)
    gift_frac = np.minimum(gift_frac, 1 - own_frac)
    own, gift = _heap(val * own_frac), _heap(val * gift_frac)
    buy = _heap(np.maximum(val * (1 - own_frac - gift_frac), 0))
    keep = (own + gift + buy) > 0
    return {
        "_h": hh_i[keep],
        "FOOD_ITEM": it[keep] + 1,
        "FOOD_BUY": buy[keep],
        "FOOD_OWN": own[keep],
        "FOOD_GIFT": gift[keep],
    }


def _nonfood_items(
    rng, NF: dict, urban, w, hc, student_hh, annual, price: float
) -> dict[str, np.ndarray]:
    H = len(annual)
    share = np.where(urban[:, None], np.array(NF["share_urban"]), np.array(NF["share_rural"]))
    prob = np.where(urban[:, None], np.array(NF["prob_urban"]), np.array(NF["prob_rural"]))
    cons = rng.random((H, 12)) < prob
    cons[:, 2] &= hc[:, 0]  # electricity only with electricity
    cons[:, 5] &= hc[:, 7]  # telephone only with a mobile phone
    cons[:, 9] &= student_hh  # education only with a student
    cons[:, 6] |= ~cons.any(1)
    wt = share * rng.gamma(3.0, 1 / 3.0, (H, 12)) * cons
    ann = annual[:, None] * wt / wt.sum(1, keepdims=True)
    recall = np.array(NF["recall"])
    val = np.zeros((H, 14))
    val[:, :12] = np.where(recall[:12] == 1, _heap(ann / 12), _heap(ann))
    dur = rng.random(H) < _expit(NF["durables_logit"] + NF["durables_wealth"] * w)
    val[:, 12] = np.where(
        dur, _heap(NF["durables_share"] * annual * np.exp(0.8 * rng.standard_normal(H))), 0
    )
    tax = rng.random(H) < NF["taxes_prob"]
    val[:, 13] = np.where(
        tax, _heap(NF["taxes_median"] * price * np.exp(0.6 * rng.standard_normal(H))), 0
    )
    keep = val > 0
    hh_i, it = np.nonzero(keep)
    return {"_h": hh_i, "NF_ITEM": it + 1, "NF_RECALL": recall[it], "NF_VALUE": val[keep]}


Tables = dict[str, dict[str, np.ndarray]]


def _block_rng(P: dict, seed: int, scale: int, b: int) -> np.random.Generator:
    return _rng(seed, STREAM_CONTENT, ROUND_ID[P["round"]], scale, b)


def _iter_blocks(P: dict, frame: pd.DataFrame, seed: int, scale: int) -> Iterator[Tables]:
    """Population content, block of villages by block of villages (each with its own stream)."""
    for b, start in enumerate(range(0, len(frame), CHUNK_VILLAGES)):
        vil = frame.iloc[start : start + CHUNK_VILLAGES]
        yield _generate_block(P, vil, _block_rng(P, seed, scale, b))


def _block_job(job: tuple) -> tuple[dict[str, float], dict[str, pd.DataFrame] | None]:
    """Generate one block, return its truth sums and the rows of the sampled households."""
    P, vil, seed, scale, b, keys, line = job
    block = _generate_block(P, vil, _block_rng(P, seed, scale, b))
    sums = _truth_sums(block, line)
    return sums, (None if keys is None else _subset(block, keys))


def _run_blocks(
    P: dict, frame: pd.DataFrame, seed: int, scale: int, keys: np.ndarray | None, workers: int
) -> tuple[dict[str, float], list[dict[str, pd.DataFrame]]]:
    """Truth sums over the whole population and the sampled households' records, streaming
    block by block (bounded memory); blocks run in `workers` processes when there are several.
    The result does not depend on `workers` (each block has its own random stream)."""
    line = P["wealth"]["poverty_line_pc_month"] * P["price_index"]
    jobs = []
    for b, start in enumerate(range(0, len(frame), CHUNK_VILLAGES)):
        vil = frame.iloc[start : start + CHUNK_VILLAGES]
        k = None
        if keys is not None:
            v = keys // 1_000_000
            k = keys[(v >= vil["HH1"].min()) & (v <= vil["HH1"].max())]
        jobs.append((P, vil, seed, scale, b, k, line))
    t0 = time.perf_counter()
    results = None
    if workers > 1 and len(jobs) > 1:
        try:
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx) as ex:
                results = list(ex.map(_block_job, jobs))
        except (BrokenProcessPool, OSError) as exc:  # e.g. __main__ not importable by a child
            log.warning("worker processes failed (%s); generating serially instead", exc)
            results = None
    if results is None:
        results = []
        for i, job in enumerate(jobs):
            results.append(_block_job(job))
            log.debug("block %d/%d after %.1f s", i + 1, len(jobs), time.perf_counter() - t0)
    log.debug("%d blocks in %.1f s", len(jobs), time.perf_counter() - t0)
    sums = None
    for sm, _ in results:
        sums = _add_sums(sums, sm)
    return sums, [part for _, part in results]


def _workers(params: dict, n_villages: int) -> int:
    if n_villages <= CHUNK_VILLAGES:
        return 1
    w = params.get("performance", {}).get("workers") or 0
    return max(1, int(w) if w else min(2, os.cpu_count() or 1))


def _concat(blocks: list[Tables]) -> Tables:
    if len(blocks) == 1:
        return blocks[0]
    return {
        t: {c: np.concatenate([b[t][c] for b in blocks]) for c in blocks[0][t]} for t in blocks[0]
    }


def _frames(tables: Tables) -> dict[str, pd.DataFrame]:
    return {k: _to_frame(v) for k, v in tables.items()}


def _rename_round(tables: dict[str, pd.DataFrame], round: str) -> dict[str, pd.DataFrame]:
    if round != "endline":
        return tables
    return {
        k: (v.rename(columns=ENDLINE_RENAMES[k]) if k in ENDLINE_RENAMES else v)
        for k, v in tables.items()
    }


def simulate_population(
    params: dict, seed: int | None = None, round: str = "baseline", scale: int = 1
) -> dict[str, pd.DataFrame]:
    """The whole finite population of the district at survey time (true, error-free values).

    Returns a dict with
      - ``frame``: villages (public columns HH1, village_en, village_lo, area, mos_hh, hh_count;
        "_"-prefixed village characteristics and random effects),
      - ``hh``, ``persons``, ``opd``, ``ipd``, ``births``, ``u5``, ``food``, ``nonfood``: every
        household's records in the raw layout of the round (no HH9/HH12/PII: those are events
        of a sample; HH2 = listing line of the household in its village),
      - ``hh_true``: per household size, wealth score, annual food, non-food, OOP, consumption
        and budget share,
      - ``meta``: one row with round, seed and scale.
    Scale 1 is about 10,500 households / 56,000 persons; memory grows linearly with scale.
    """
    seed = int(params["seed"] if seed is None else seed)
    P = round_params(params, round)
    frame = village_frame(params, seed, round, scale)
    pop = _rename_round(_frames(_concat(list(_iter_blocks(P, frame, seed, scale)))), round)
    pop["frame"] = frame
    pop["meta"] = pd.DataFrame({"round": [round], "seed": [seed], "scale": [int(scale)]})
    return pop


# --------------------------------------------------------------------------------------------
# Sample design
# --------------------------------------------------------------------------------------------


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


def _select_villages(
    frame: pd.DataFrame, P: dict, rng: np.random.Generator, scale: int
) -> pd.DataFrame:
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
    vs = _select_villages(frame, P, rng, scale)
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
    pc = _expit(
        _logit(np.where(area == 1, R["complete_urban"], R["complete_rural"]))
        + frame["_u_resp"].to_numpy()[hv]
    )
    done = rng.random(len(hv)) < pc
    other = np.array(R["other_codes"])[_draw_fixed(rng, R["other_share"], len(hv))]
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


def _subset(tables, keys: np.ndarray) -> dict[str, pd.DataFrame]:
    """Rows of the households with the given keys (DataFrames or dicts of arrays in, DataFrames out)."""
    out = {}
    for name, t in tables.items():
        m = np.isin(_hh_key(t), keys)
        if isinstance(t, pd.DataFrame):
            out[name] = t[m].reset_index(drop=True)
        else:
            out[name] = _to_frame({c: np.asarray(v)[m] for c, v in t.items()})
    return out


def _apply_response(
    sample: dict[str, pd.DataFrame], households: pd.DataFrame, round: str
) -> dict[str, pd.DataFrame]:
    """hh.sav keeps every sampled household; content and module rows only for HH9 = 1."""
    resp_keys = _hh_key(households[households["HH9"] == 1])
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
        out[name] = df[np.isin(_hh_key(df), resp_keys)].reset_index(drop=True)
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
    sample = _apply_response(_subset(tables, _hh_key(hhs)), hhs, round or "baseline")
    sample["frame"] = _frame_csv(population["frame"], idx["villages"])
    sample["design"] = hhs
    return sample


def _masked_int(values: np.ndarray, keep: np.ndarray) -> pd.api.extensions.ExtensionArray:
    arr = pd.array(np.where(keep, values, 0), dtype="Int64")
    arr[~keep] = pd.NA
    return arr


def _frame_csv(frame: pd.DataFrame, villages: pd.DataFrame) -> pd.DataFrame:
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


# --------------------------------------------------------------------------------------------
# Truth: finite-population values with the DEFINITIONS.md formulas (weight 1, all households)
# --------------------------------------------------------------------------------------------

TRUTH_INDICATORS: dict[str, str] = {
    "coverage_any": "Persons covered by any health insurance / social health protection (INS1 = 1) among all persons",
    "illness_30d": "Persons ill or injured in the last 30 days among all persons",
    "care_seeking": "Persons ill in the last 30 days who sought any care or advice (OP1 = 1)",
    "forgone_cost": "Ill persons who did not seek care, main reason too expensive (OP4 = 2)",
    "opd_visits_per_capita": "Outpatient visits per person per year: 12 x sum OP3 / population",
    "admissions_per_1000": "Hospital admissions per 1,000 persons per year",
    "oop_episode_mean": "Mean OOP per outpatient episode with care sought, OP5A+OP5B+OP5C+OP5F (LAK, round prices)",
    "oop_annual_hh_mean": "Household mean annual OOP, SDG 3.8.2 scope (LAK, round prices; households unweighted)",
    "oop_budget_share_mean": "Population-weighted mean OOP budget share (OOP / total consumption)",
    "che_sdg_10": "Population-weighted share with OOP > 10 % of total consumption (SDG 3.8.2)",
    "che_sdg_25": "Population-weighted share with OOP > 25 % of total consumption (SDG 3.8.2)",
    "distress_financing": "Population-weighted share living in a household that borrowed (HF1) or sold assets (HF2) to pay for care",
    "distress_financing_hh": "Households that borrowed (HF1) or sold assets (HF2) to pay for care (household share)",
    "institutional_delivery": "Last births in the last 24 months delivered in a health facility (MN2 in 21,22,23,31)",
    "skilled_birth_attendance": "Last births in the last 24 months attended by a doctor, nurse/midwife or auxiliary midwife",
    "u5_fever_care": "Children under 5 with fever in the last 2 weeks for whom care was sought, not from a traditional healer",
}
TRUTH_CONTEXT: dict[str, str] = {
    "population_persons": "Persons in the population (all households of the district at survey time)",
    "population_households": "Households in the population",
    "mean_household_size": "Mean household size (persons per household)",
    "poverty_headcount": "Population-weighted share with total consumption per person per month below the national line (round prices)",
    "food_share_mean": "Population-weighted mean food share of total consumption",
    "consumption_pc_month_mean": "Mean total consumption per person per month, population-weighted (LAK, round prices)",
}
MONETARY = ("oop_episode_mean", "oop_annual_hh_mean", "consumption_pc_month_mean")


def _truth_sums(t, poverty_line_month: float) -> dict[str, float]:
    """Sums (numerators and denominators) of the truth over a set of complete households.

    `t` maps table names to DataFrames or dicts of column arrays (baseline or endline names).
    Plain DEFINITIONS.md formulas with weight 1; no don't-knows exist in true values.
    """
    ren = {v: k for m in ENDLINE_RENAMES.values() for k, v in m.items()}

    def col(table: str, c: str) -> np.ndarray:
        tab = t[table]
        return np.asarray(tab[c] if c in tab else tab[next(k for k, v in ren.items() if v == c)])

    hh_key = _hh_key(t["hh"])
    index = pd.Index(hh_key)
    H = len(hh_key)

    def pos(table: str, rows=slice(None)) -> np.ndarray:
        return index.get_indexer(_hh_key(t[table])[rows])

    def amounts(table: str, cols, rows) -> np.ndarray:
        return np.nan_to_num(np.column_stack([col(table, c)[rows] for c in cols])).sum(axis=1)

    m = np.bincount(pos("persons"), minlength=H).astype(float)
    food_v = col("food", "FOOD_BUY") + col("food", "FOOD_OWN") + col("food", "FOOD_GIFT")
    food_a = np.bincount(pos("food"), weights=food_v, minlength=H) * 365 / 7
    nf_in = ~np.isin(col("nonfood", "NF_ITEM"), [13, 14])  # durables and taxes excluded
    nf_v = col("nonfood", "NF_VALUE") * np.where(col("nonfood", "NF_RECALL") == 1, 12, 1)
    nf_a = np.bincount(pos("nonfood", nf_in), weights=nf_v[nf_in], minlength=H)
    op1 = col("opd", "OP1")
    cared = op1 == 1
    ep_oop = amounts("opd", ("OP5A", "OP5B", "OP5C", "OP5F"), cared)
    ip_oop = amounts("ipd", ("IP3A", "IP3B", "IP3C", "IP3F"), slice(None))
    mn1 = col("births", "MN1")
    b12 = mn1 < 12
    oop = (
        12 * np.bincount(pos("opd", cared), weights=ep_oop, minlength=H)
        + 12 * col("hh", "HE1")
        + np.bincount(pos("ipd"), weights=ip_oop, minlength=H)
        + col("hh", "HE2")
        + np.bincount(pos("births", b12), weights=col("births", "MN4")[b12], minlength=H)
    )
    total = food_a + nf_a + oop
    s = oop / total
    b24 = mn1 < 24
    fever = col("u5", "CA2") == 1
    distress = (col("hh", "HF1") == 1) | (col("hh", "HF2") == 1)
    return {
        "persons": m.sum(),
        "households": float(H),
        "covered": float((col("persons", "INS1") == 1).sum()),
        "ill": float((col("persons", "ILL1") == 1).sum()),
        "episodes": float(len(op1)),  # one opd row per ill person
        "cared": float(cared.sum()),
        "not_cared": float((op1 == 2).sum()),
        "forgone_cost": float(((op1 == 2) & (col("opd", "OP4") == 2)).sum()),
        "visits": float(np.nansum(col("opd", "OP3")[cared])),
        "admissions": float(len(ip_oop)),
        "oop_episodes": float(ep_oop.sum()),
        "oop_hh": float(oop.sum()),
        "share_pop": float((m * s).sum()),
        "che10_pop": float((m * (s > 0.10)).sum()),
        "che25_pop": float((m * (s > 0.25)).sum()),
        "distress": float(distress.sum()),
        "distress_pop": float((m * distress).sum()),
        "births24": float(b24.sum()),
        "institutional": float((b24 & np.isin(col("births", "MN2"), FACILITY_PLACES)).sum()),
        "skilled": float((b24 & np.isin(col("births", "MN3"), [1, 2, 3])).sum()),
        "fever": float(fever.sum()),
        "fever_care": float((fever & (col("u5", "CA6") == 1) & (col("u5", "CA7") != 6)).sum()),
        "poor_pop": float((m * (total / m / 12 < poverty_line_month)).sum()),
        "food_share_pop": float((m * food_a / total).sum()),
        "cons_total": float(total.sum()),
    }


def _add_sums(a: dict[str, float] | None, b: dict[str, float]) -> dict[str, float]:
    return dict(b) if a is None else {k: a[k] + b[k] for k in a}


def _truth_values(S: dict[str, float]) -> dict[str, float]:
    return {
        "coverage_any": S["covered"] / S["persons"],
        "illness_30d": S["ill"] / S["persons"],
        "care_seeking": S["cared"] / S["episodes"],
        "forgone_cost": S["forgone_cost"] / S["not_cared"],
        "opd_visits_per_capita": 12 * S["visits"] / S["persons"],
        "admissions_per_1000": 1000 * S["admissions"] / S["persons"],
        "oop_episode_mean": S["oop_episodes"] / S["cared"],
        "oop_annual_hh_mean": S["oop_hh"] / S["households"],
        "oop_budget_share_mean": S["share_pop"] / S["persons"],
        "che_sdg_10": S["che10_pop"] / S["persons"],
        "che_sdg_25": S["che25_pop"] / S["persons"],
        "distress_financing": S["distress_pop"] / S["persons"],
        "distress_financing_hh": S["distress"] / S["households"],
        "institutional_delivery": S["institutional"] / S["births24"],
        "skilled_birth_attendance": S["skilled"] / S["births24"],
        "u5_fever_care": S["fever_care"] / S["fever"],
        "population_persons": S["persons"],
        "population_households": S["households"],
        "mean_household_size": S["persons"] / S["households"],
        "poverty_headcount": S["poor_pop"] / S["persons"],
        "food_share_mean": S["food_share_pop"] / S["persons"],
        "consumption_pc_month_mean": S["cons_total"] / S["persons"] / 12,
    }


def compute_truth(
    population: dict[str, pd.DataFrame], params: dict, round: str | None = None
) -> pd.DataFrame:
    """Finite-population values (indicator, value, description) of a population from
    :func:`simulate_population`."""
    meta = population.get("meta")
    round = round or (str(meta["round"].iloc[0]) if meta is not None else "baseline")
    P = round_params(params, round)
    line = P["wealth"]["poverty_line_pc_month"] * P["price_index"]
    return _truth_frame(_truth_values(_truth_sums(population, line)))


def _truth_frame(
    values: dict[str, float], extra: list[tuple[str, float, str]] | None = None
) -> pd.DataFrame:
    desc = {**TRUTH_INDICATORS, **TRUTH_CONTEXT}
    rows = [(k, values[k], desc[k]) for k in desc]
    rows += extra or []
    return pd.DataFrame(rows, columns=["indicator", "value", "description"])


# --------------------------------------------------------------------------------------------
# Recording: dates, identifiers, don't-knows and the planted errors of a real export
# --------------------------------------------------------------------------------------------


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
    not_prot = ~np.isin(_person_key(per), protected)
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


def _plant_errors(
    S: dict[str, pd.DataFrame], P: dict, rng, round: str
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """A few errors a real export has (none fatal: no duplicate keys, no orphans)."""
    errs = []
    op5b = ENDLINE_RENAMES["opd"]["OP5B"] if round == "endline" else "OP5B"

    def keys_of(df, i, with_line=True):
        r = df.iloc[i]
        k = f"HH1={int(r['HH1'])};HH2={int(r['HH2'])}"
        return k + (f";HL1={int(r['HL1'])}" if with_line and "HL1" in df else "")

    def choose(mask, used=()):
        idx = np.setdiff1d(np.flatnonzero(mask), np.asarray(list(used), dtype=np.int64))
        if len(idx) == 0:
            return None
        return int(rng.choice(idx))

    def add(eid, file, df, i, var, value, desc, check, with_line=True):
        df.loc[df.index[i], var] = value
        shown = (
            value.isoformat()
            if isinstance(value, dt.date)
            else (f"{value:.0f}" if isinstance(value, float) else str(value))
        )
        errs.append((eid, f"{file}.sav", keys_of(df, i, with_line), var, shown, desc, check))

    per, opd, ipd, bir, hh = S["persons"], S["opd"], S["ipd"], S["births"], S["hh"]
    # E06 first: the mother's age (so E01 does not hit the same person)
    mothers = set()
    b = choose((bir["MN1"] >= 13).to_numpy())
    if b is not None:
        r = bir.iloc[b]
        pi = np.flatnonzero(
            (
                (per["HH1"] == r["HH1"]) & (per["HH2"] == r["HH2"]) & (per["HL1"] == r["HL1"])
            ).to_numpy()
        )[0]
        mothers.add(pi)
        add(
            "E06",
            "persons",
            per,
            pi,
            "HL6",
            13.0,
            f"Mother's age keyed as 13 (true {int(per['HL6'].iloc[pi])}); last birth {int(r['MN1'])} months ago, so she was under 12 at the birth",
            "mother_age_at_birth",
        )
    a = (per["HL6"] >= 60) & (per["HL6"] <= 85)
    i = choose(a.to_numpy(), mothers)
    if i is not None:
        add(
            "E01",
            "persons",
            per,
            i,
            "HL6",
            120.0,
            f"Age 120 (true {int(per['HL6'].iloc[i])}): implausible age",
            "age_out_of_range",
        )
    used: set[int] = set()
    care = (opd["OP1"] == 1).to_numpy()
    i = choose(care, used)
    if i is not None:
        used.add(i)
        add(
            "E02",
            "opd",
            opd,
            i,
            "OP4",
            1.0,
            "Reason for not seeking care answered although care was sought (OP1 = 1)",
            "skip_op4_when_care_sought",
        )
    i = choose(~care & (opd["OP1"] == 2).to_numpy(), used)
    if i is not None:
        used.add(i)
        add(
            "E03",
            "opd",
            opd,
            i,
            op5b,
            25000.0,
            "Medicines spending on an episode where no care was sought (OP1 = 2)",
            "spending_without_care",
        )
    i = choose(care, used)
    if i is not None:
        used.add(i)
        add(
            "E04",
            "opd",
            opd,
            i,
            "OP3",
            75.0,
            "75 visits for one episode in 30 days",
            "visits_out_of_range",
        )
    i = choose(care & (opd[op5b] < AMOUNT_DK).to_numpy(), used)
    if i is not None:
        used.add(i)
        add(
            "E08",
            "opd",
            opd,
            i,
            op5b,
            450_000_000.0,
            "Medicines 450,000,000 LAK for one episode (absurdly extreme amount)",
            "extreme_amount",
        )
    i = choose(np.ones(len(ipd), bool))
    if i is not None:
        add(
            "E05",
            "ipd",
            ipd,
            i,
            "IP2",
            200.0,
            "Admission with 200 nights (over half a year)",
            "nights_out_of_range",
        )
    i = choose((hh["HH9"] == 1).to_numpy())
    if i is not None:
        d = hh["HH12"].iloc[i]
        bad = d.replace(year=d.year - 1)
        add(
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
    errs.sort(key=lambda e: e[0])
    return S, pd.DataFrame(
        errs,
        columns=["error_id", "file", "keys", "variable", "value", "description", "expected_check"],
    )


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _fix_sav_header(path: Path, stamp: dt.datetime) -> None:
    """ReadStat writes the creation date ("dd Mon yy") and time ("hh:mm:ss") into the fixed
    header at bytes 92-108; overwrite them so the files are byte-identical between runs."""
    with open(path, "r+b") as fh:
        head = fh.read(109)
        if head[:4] not in (b"$FL2", b"$FL3"):
            raise ValueError(f"{path} is not an SPSS system file")
        fh.seek(92)
        fh.write(
            stamp.strftime("%d %b %y").encode("ascii") + stamp.strftime("%H:%M:%S").encode("ascii")
        )


def write_sav(
    df: pd.DataFrame, path: str | Path, file: str, round: str, stamp: dt.datetime
) -> None:
    """Write one module with labels, value labels, user-missing codes and formats."""
    ren = ENDLINE_RENAMES.get(file, {}) if round == "endline" else {}
    vls = _value_labels(round)
    labels, vlabels, missing, fmt, measure = {}, {}, {}, {}, {}
    out = pd.DataFrame(index=df.index)
    for name, label, kind, vl in LAYOUT[file]:
        col = ren.get(name, name)
        s = df[col]
        labels[col] = label
        if kind == "text":
            out[col] = s.fillna("").astype(object)
            continue
        if kind == "date":
            out[col] = s.astype(object)
            fmt[col] = "DATE11"
            continue
        out[col] = pd.to_numeric(s).astype(float)
        if vl is not None:
            vlabels[col] = {float(k): v for k, v in vls[vl].items()}
        if kind == "yesno":
            missing[col] = [8.0, 9.0]
            fmt[col], measure[col] = "F1.0", "nominal"
        elif kind == "amount":
            missing[col] = [float(AMOUNT_DK), float(AMOUNT_REFUSED)]
            fmt[col], measure[col] = "F12.0", "scale"
        elif kind == "age":
            missing[col] = [float(AGE_DK)]
            fmt[col], measure[col] = "F3.0", "scale"
        elif kind == "code":
            fmt[col], measure[col] = "F2.0" if max(vls[vl]) < 100 else "F3.0", "nominal"
        elif kind == "key":
            fmt[col], measure[col] = "F7.0", "nominal"
        elif kind == "count":
            fmt[col], measure[col] = "F5.0", "scale"
        elif kind == "gps":
            fmt[col], measure[col] = "F11.6", "scale"
    year = stamp.year
    pyreadstat.write_sav(
        out.reset_index(drop=True),
        str(path),
        file_label=f"Vang Vieng household health survey {round} {year}: {file} (SYNTHETIC DEMO DATA)",
        column_labels=labels,
        variable_value_labels=vlabels,
        missing_ranges=missing,
        variable_format=fmt,
        variable_measure=measure,
        note="Synthetic data generated by hhsurvey.simulate; not real survey data.",
    )
    _fix_sav_header(Path(path), stamp)


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def _fmt_value(v: float) -> str:
    return f"{v:.10g}"


def write_demo(outdir: str | Path, params: dict, round: str = "baseline", scale: int = 1) -> None:
    """Simulate the population of `round`, draw the sample and write every raw file into outdir.

    Files: frame.csv, hh.sav, food.sav, nonfood.sav, persons.sav, opd.sav, ipd.sav, births.sav,
    u5.sav, planted_errors.csv, truth.csv. Deterministic given params["seed"], round and scale.
    """
    t0 = time.perf_counter()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    seed = int(params["seed"])
    P = round_params(params, round)
    rid = ROUND_ID[round]
    frame = village_frame(params, seed, round, scale)
    meta = pd.DataFrame({"round": [round], "seed": [seed], "scale": [int(scale)]})
    idx = draw_sample_indices(
        {"frame": frame, "meta": meta}, params, _rng(seed, STREAM_SAMPLE, rid, scale), round
    )
    hhs = idx["households"]
    keys = _hh_key(hhs)
    sums, parts = _run_blocks(P, frame, seed, scale, keys, _workers(params, len(frame)))
    log.info("population %s x%d generated in %.1f s", round, scale, time.perf_counter() - t0)
    S = _apply_response(
        {k: pd.concat([p[k] for p in parts], ignore_index=True) for k in parts[0]}, hhs, round
    )
    # recording: interview dates, identifiers, don't-knows, planted errors
    rng = _rng(seed, STREAM_RECORD, rid, scale)
    hh = S["hh"]
    hh["HH12"] = _fieldwork_dates(P, idx["villages"], hh, rng)
    per = S["persons"]
    heads = per[per["HL1"] == 1].set_index(["HH1", "HH2"])["HL4"]
    head_sex = heads.reindex(pd.MultiIndex.from_frame(hh[["HH1", "HH2"]])).fillna(1).to_numpy()
    for k, v in _pii(P, frame, hh, head_sex, rng).items():
        hh[k] = v
    bir = S["births"]
    protected = _person_key(bir)  # mothers keep their true age (their check is a planted error)
    S = _record_noise(S, P, rng, protected)
    S = _rename_round(S, round)
    S, errors = _plant_errors(S, P, rng, round)
    stamp = dt.datetime.fromisoformat(P["fieldwork"]["file_timestamp"])
    for file in MODULE_FILES:
        df = S[file]
        sort_cols = [c for c in ("HH1", "HH2", "HL1", "FOOD_ITEM", "NF_ITEM") if c in df]
        df = df.sort_values(sort_cols, kind="stable").reset_index(drop=True)
        write_sav(df, outdir / f"{file}.sav", file, round, stamp)
    _write_csv(_frame_csv(frame, idx["villages"]), outdir / "frame.csv")
    _write_csv(errors, outdir / "planted_errors.csv")
    truth = _truth_frame(
        _truth_values(sums), _extra_truth(params, round, scale, seed, _truth_values(sums))
    )
    truth["value"] = truth["value"].map(_fmt_value)
    _write_csv(truth, outdir / "truth.csv")
    log.info(
        "wrote %s (%s, scale %d): %d households sampled, %d persons in %.1f s",
        outdir,
        round,
        scale,
        len(hh),
        len(S["persons"]),
        time.perf_counter() - t0,
    )


def _extra_truth(
    params: dict, round: str, scale: int, seed: int, values: dict[str, float]
) -> list[tuple[str, float, str]]:
    """Endline only: monetary values in base-year prices and the true change since baseline."""
    if round != "endline":
        return []
    PE = round_params(params, "endline")
    PB = round_params(params, "baseline")
    pidx = float(PE["price_index"])
    frame_b = village_frame(params, seed, "baseline", scale)
    sums, _ = _run_blocks(PB, frame_b, seed, scale, None, _workers(params, len(frame_b)))
    base = _truth_values(sums)
    rows = []
    for k in MONETARY:
        rows.append(
            (
                f"{k}_base_prices",
                values[k] / pidx,
                f"{TRUTH_CONTEXT.get(k) or TRUTH_INDICATORS[k]}; endline value deflated to baseline prices (/ price_index {pidx})",
            )
        )
    for k in (*TRUTH_INDICATORS, "poverty_headcount", "consumption_pc_month_mean"):
        v = values[k] / pidx if k in MONETARY else values[k]
        unit = "in baseline prices" if k in MONETARY else "percentage points / units"
        rows.append((f"change_{k}", v - base[k], f"True change endline - baseline of {k} ({unit})"))
    for k in (*TRUTH_INDICATORS, "poverty_headcount"):
        rows.append(
            (f"baseline_{k}", base[k], f"Baseline finite-population value of {k} (baseline prices)")
        )
    return rows


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        prog="python -m hhsurvey.simulate", description=__doc__.splitlines()[0]
    )
    ap.add_argument("--round", choices=ROUNDS, default="baseline")
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument(
        "--scale", type=int, default=1, help="population and sample multiplier (default 1)"
    )
    ap.add_argument("--config", default=None, help="parameters (default config/simulate.yaml)")
    a = ap.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    write_demo(a.out, load_params(a.config), round=a.round, scale=a.scale)


if __name__ == "__main__":
    main()
