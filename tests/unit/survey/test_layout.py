"""The committed demo rounds must match the raw layout of QUESTIONNAIRE.md exactly.

The expected layout is written out here (not read from the markdown, not imported from the
simulator) so that a change on either side is caught.
"""

from __future__ import annotations

import csv
import re

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from testpaths import REPO

ROOT = REPO
DEMO = ROOT / "raw" / "demo"
ROUNDS = [r for r in ("baseline", "endline") if (DEMO / r / "hh.sav").exists()]

HC = [f"HC{i}" for i in range(1, 11)]
HF = [f"HF{i}" for i in range(1, 6)]
OP5 = {"baseline": [f"OP5{c}" for c in "ABCDEF"], "endline": [f"OP5_{i}" for i in range(1, 7)]}
ILL = {"baseline": "ILL1", "endline": "ILL30"}


def layout(round_: str) -> dict[str, list[str]]:
    return {
        "hh": [
            "HH1",
            "HH2",
            "HH6",
            "HH9",
            "HH12",
            "HH_HEAD_NAME",
            "HH_PHONE",
            "GPS_LAT",
            "GPS_LON",
            *HC,
            "DIST_HC",
            "DIST_HOSP",
            "HE1",
            "HE2",
            *HF,
        ],
        "food": ["HH1", "HH2", "FOOD_ITEM", "FOOD_BUY", "FOOD_OWN", "FOOD_GIFT"],
        "nonfood": ["HH1", "HH2", "NF_ITEM", "NF_RECALL", "NF_VALUE"],
        "persons": [
            "HH1",
            "HH2",
            "HL1",
            "HL3",
            "HL4",
            "HL6",
            "ED4",
            "EMP1",
            "INS1",
            "INS2",
            "INS2_OTHER",
            ILL[round_],
            "CHR1",
        ],
        "opd": [
            "HH1",
            "HH2",
            "HL1",
            "OP1",
            "OP2",
            "OP3",
            "OP4",
            "OP4_OTHER",
            *OP5[round_],
            "OP6",
        ],
        "ipd": ["HH1", "HH2", "HL1", "IP1", "IP2", *[f"IP3{c}" for c in "ABCDEF"], "IP4"],
        "births": ["HH1", "HH2", "HL1", "MN1", "MN2", "MN3", "MN4"],
        "u5": ["HH1", "HH2", "HL1", *[f"CA{i}" for i in range(1, 8)]],
    }


PROVIDER = {1, 2, 3, 4, 5, 6, 7, 8, 96}


def coded(round_: str) -> dict[str, set[int]]:
    """Coded variable -> codes that must carry a value label."""
    yn = {1, 2}
    c = {
        "hh": {"HH6": {1, 2}, "HH9": {1, 2, 3, 4, 5, 6}, **{v: yn for v in HC + HF}},
        "food": {"FOOD_ITEM": set(range(1, 16))},
        "nonfood": {"NF_ITEM": set(range(1, 15)), "NF_RECALL": {1, 2}},
        "persons": {
            "HL3": set(range(1, 9)),
            "HL4": {1, 2},
            "ED4": {0, 1, 2, 3, 4},
            "EMP1": set(range(1, 10)),
            "INS1": {1, 2, 8},
            "INS2": set(range(1, 7)) | ({7} if round_ == "endline" else set()),
            ILL[round_]: yn,
            "CHR1": yn,
        },
        "opd": {
            "OP1": yn,
            "OP2": PROVIDER,
            "OP4": {1, 2, 3, 4, 5, 6, 7, 96},
            "OP6": yn,
        },
        "ipd": {"IP1": PROVIDER, "IP4": {1, 2, 3, 4, 5, 6, 96}},
        "births": {"MN2": {11, 21, 22, 23, 31, 96}, "MN3": {1, 2, 3, 4, 5, 6}},
        "u5": {**{f"CA{i}": {1, 2, 8} for i in range(1, 6)}, "CA6": yn, "CA7": PROVIDER},
    }
    return c


def yes_no(round_: str) -> dict[str, list[str]]:
    """Yes/no items with 8 (don't know) and 9 (no response) declared user-missing."""
    return {
        "hh": HC + HF,
        "persons": ["INS1", ILL[round_], "CHR1"],
        "opd": ["OP1", "OP6"],
        "u5": [f"CA{i}" for i in range(1, 7)],
    }


AMOUNTS = {
    "hh": ["HE1", "HE2"],
    "food": ["FOOD_BUY", "FOOD_OWN", "FOOD_GIFT"],
    "nonfood": ["NF_VALUE"],
    "ipd": [f"IP3{c}" for c in "ABCDEF"],
    "births": ["MN4"],
}
KEYS = {
    "hh": ["HH1", "HH2"],
    "persons": ["HH1", "HH2", "HL1"],
    "opd": ["HH1", "HH2", "HL1"],
    "births": ["HH1", "HH2", "HL1"],
    "u5": ["HH1", "HH2", "HL1"],
    "food": ["HH1", "HH2", "FOOD_ITEM"],
    "nonfood": ["HH1", "HH2", "NF_ITEM"],
}
PII = {"HH_HEAD_NAME", "HH_PHONE", "GPS_LAT", "GPS_LON"}
FRAME_COLUMNS = [
    "HH1",
    "village_en",
    "village_lo",
    "area",
    "mos_hh",
    "selected",
    "listed_hh",
    "sampled_hh",
]

_cache: dict[tuple[str, str], tuple[pd.DataFrame, object]] = {}


def read(round_: str, file: str):
    key = (round_, file)
    if key not in _cache:
        _cache[key] = pyreadstat.read_sav(DEMO / round_ / f"{file}.sav", user_missing=True)
    return _cache[key]


def missing_values(meta, var: str) -> set[float]:
    out = set()
    for r in meta.missing_ranges.get(var, []):
        lo, hi = r["lo"], r["hi"]
        out.add(lo)
        out.add(hi)
    return out


def test_demo_rounds_exist():
    assert "baseline" in ROUNDS


FILES = ["hh", "food", "nonfood", "persons", "opd", "ipd", "births", "u5"]
CASES = [(r, f) for r in ROUNDS for f in FILES]


@pytest.mark.parametrize(("round_", "file"), CASES)
def test_variables_exactly_as_layout(round_, file):
    df, meta = read(round_, file)
    assert list(df.columns) == layout(round_)[file]
    assert len(df) > 0
    for v in df.columns:
        assert meta.column_names_to_labels[v], f"{file}.{v} has no variable label"


@pytest.mark.parametrize(("round_", "file"), CASES)
def test_coded_variables_labelled(round_, file):
    df, meta = read(round_, file)
    for var, codes in coded(round_).get(file, {}).items():
        labels = meta.variable_value_labels.get(var)
        assert labels, f"{file}.{var} has no value labels"
        keys = {int(k) for k in labels}
        assert codes <= keys, f"{file}.{var}: codes {codes - keys} unlabelled"
        observed = {int(x) for x in df[var].dropna().unique()}
        assert observed <= keys, f"{file}.{var}: values {observed - keys} unlabelled"


@pytest.mark.parametrize(("round_", "file"), CASES)
def test_user_missing_declared(round_, file):
    df, meta = read(round_, file)
    amounts = AMOUNTS.get(file, []) + (OP5[round_] if file == "opd" else [])
    for var in amounts:
        assert {9999998.0, 9999999.0} <= missing_values(meta, var), f"{file}.{var}"
        labels = meta.variable_value_labels.get(var, {})
        assert 9999998.0 in labels and 9999999.0 in labels
    for var in yes_no(round_).get(file, []):
        assert {8.0, 9.0} <= missing_values(meta, var), f"{file}.{var}"
    if file == "persons":
        assert 98.0 in missing_values(meta, "HL6")


@pytest.mark.parametrize("round_", ROUNDS)
def test_dont_knows_present(round_):
    """Some don't-know answers exist, as in a real export (and they are user-missing)."""
    opd, _ = read(round_, "opd")
    cells = opd[OP5[round_]].to_numpy().ravel()
    assert np.isin(cells, [9999998, 9999999]).sum() >= 1
    per, _ = read(round_, "persons")
    assert (per["HL6"] == 98).sum() >= 1
    assert (per["INS1"] == 8).sum() >= 1
    nf, _ = read(round_, "nonfood")
    assert (nf["NF_VALUE"] == 9999998).sum() >= 1


@pytest.mark.parametrize(("round_", "file"), [c for c in CASES if c[1] in KEYS])
def test_keys_unique(round_, file):
    df, _ = read(round_, file)
    assert not df.duplicated(KEYS[file]).any()
    assert df[KEYS[file]].notna().all().all()


@pytest.mark.parametrize("round_", ROUNDS)
def test_no_orphans_and_nonrespondents_empty(round_):
    hh, _ = read(round_, "hh")
    resp = set(map(tuple, hh.loc[hh["HH9"] == 1, ["HH1", "HH2"]].to_numpy()))
    per, _ = read(round_, "persons")
    people = set(map(tuple, per[["HH1", "HH2", "HL1"]].to_numpy()))
    for f in FILES[1:]:
        df, _ = read(round_, f)
        assert set(map(tuple, df[["HH1", "HH2"]].to_numpy())) <= resp, f
        if "HL1" in df and f != "persons":
            assert set(map(tuple, df[["HH1", "HH2", "HL1"]].to_numpy())) <= people, f
    nonresp = hh[hh["HH9"] != 1]
    assert len(nonresp) > 0
    content = [c for c in hh.columns if c.startswith(("HC", "HF", "HE", "DIST"))]
    assert nonresp[content].isna().all().all()
    assert (nonresp["HH_HEAD_NAME"] != "").all()  # PII kept for non-respondents
    assert nonresp["HH12"].notna().all()


@pytest.mark.parametrize("round_", ROUNDS)
def test_pii_only_in_hh(round_):
    phone = re.compile(r"020 5\d{3} \d{4}")
    hh, meta = read(round_, "hh")
    assert PII <= set(hh.columns)
    assert hh["HH_PHONE"].str.fullmatch(r"(020 5\d{3} \d{4})?").all()
    assert hh["HH_PHONE"].str.match(phone).mean() > 0.5
    assert meta.original_variable_types["HH12"].startswith("DATE")
    for f in FILES[1:]:
        df, _ = read(round_, f)
        assert not PII & set(df.columns), f
        for c in df.columns:
            if df[c].dtype == object or str(df[c].dtype) in ("str", "string"):
                assert not df[c].astype(str).str.contains(phone).any(), f"{f}.{c}"
    names = set(hh["HH_HEAD_NAME"])
    for f in FILES[1:]:
        df, _ = read(round_, f)
        for c in df.columns:
            if df[c].dtype == object or str(df[c].dtype) in ("str", "string"):
                assert not set(df[c]) & names, f"{f}.{c} contains a head's name"


@pytest.mark.parametrize("round_", ROUNDS)
def test_frame_csv(round_):
    path = DEMO / round_ / "frame.csv"
    text = path.read_bytes().decode("utf-8")  # must be UTF-8
    rows = list(csv.DictReader(text.splitlines()))
    assert list(rows[0]) == FRAME_COLUMNS
    assert all(re.search(r"[\u0e80-\u0eff]", r["village_lo"]) for r in rows)
    assert all(r["village_en"].isascii() and r["village_en"] for r in rows)
    frame = pd.read_csv(path)
    assert set(frame["area"]) == {1, 2}
    assert frame["HH1"].is_unique
    sel = frame[frame["selected"] == 1]
    assert sel[["listed_hh", "sampled_hh"]].notna().all().all()
    assert frame.loc[frame["selected"] == 0, ["listed_hh", "sampled_hh"]].isna().all().all()
    hh, _ = read(round_, "hh")
    assert set(hh["HH1"].astype(int)) == set(sel["HH1"])
    counts = hh.groupby("HH1").size()
    assert (counts.reindex(sel["HH1"]).to_numpy() == sel["sampled_hh"].to_numpy()).all()
    assert (hh["HH2"].to_numpy() >= 1).all()
    listed = sel.set_index("HH1")["listed_hh"]
    assert (hh["HH2"].to_numpy() <= listed.reindex(hh["HH1"].astype(int)).to_numpy()).all()


@pytest.mark.parametrize("round_", ROUNDS)
def test_other_specify_texts(round_):
    per, _ = read(round_, "persons")
    other = per[per["INS2"] == 6]
    assert len(other) > 0 and (other["INS2_OTHER"] != "").all()
    assert (per.loc[per["INS2"] != 6, "INS2_OTHER"] == "").all()
    opd, _ = read(round_, "opd")
    assert (opd.loc[opd["OP4"] != 96, "OP4_OTHER"] == "").all()
    assert (opd.loc[opd["OP4"] == 96, "OP4_OTHER"] != "").all()
