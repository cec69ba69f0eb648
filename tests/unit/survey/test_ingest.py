"""Codebook loading and raw-file ingest: messages that say what, where and how to fix."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from testpaths import REPO

from hhsurvey.errors import InputError
from hhsurvey.survey.codebook.model import load_codebook
from hhsurvey.survey.io import RawFile, read_raw, to_canonical

BASELINE = REPO / "config" / "codebooks" / "baseline.yaml"


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(BASELINE)


def opd_raw(**overrides) -> pd.DataFrame:
    cols = {
        "HH1": [1, 1],
        "HH2": [1, 2],
        "HL1": [1, 3],
        "OP1": [1, 2],
        "OP2": [3, None],
        "OP3": [2, None],
        "OP4": [None, 2],
        "OP4_OTHER": ["", ""],
        "OP5A": [5000, None],
        "OP5B": [9999998, None],
        "OP5C": [0, None],
        "OP5D": [1000, None],
        "OP5E": [0, None],
        "OP5F": [9999999, None],
        "OP6": [2, None],
    }
    cols.update(overrides)
    return pd.DataFrame(cols)


def test_maps_codes_and_user_missing(codebook):
    table = codebook.tables["episode"]
    canon, special = to_canonical(RawFile(Path("opd.sav"), opd_raw()), table, codebook)
    assert canon["sought"].tolist() == ["yes", "no"]
    assert canon["provider"].iloc[0] == "health_centre"
    assert canon["reason_no_care"].iloc[1] == "cost"
    assert pd.isna(canon["cost_medicine"].iloc[0]) and pd.isna(canon["cost_informal"].iloc[0])
    assert canon["cost_consult"].iloc[0] == 5000
    assert sorted(special["meaning"]) == ["dont_know", "refused"]
    assert set(special["keys"]) == {"village=1, hh=1, line=1"}


def test_missing_variable_names_the_codebook_line(codebook):
    raw = opd_raw().rename(columns={"OP5B": "OP5_2"})
    with pytest.raises(InputError) as err:
        to_canonical(RawFile(Path("opd.sav"), raw), codebook.tables["episode"], codebook)
    msg = err.value.message
    line = next(i for i, t in enumerate(BASELINE.read_text().splitlines(), 1) if "raw: OP5B" in t)
    assert "variable OP5B" in msg and f"baseline.yaml line {line}" in msg and "OP5_2" in msg


def test_unknown_code_names_codes_seen_and_entry(codebook):
    raw = opd_raw(OP2=[3, 42])
    with pytest.raises(InputError) as err:
        to_canonical(RawFile(Path("opd.sav"), raw), codebook.tables["episode"], codebook)
    msg = err.value.message
    assert "code(s) 42" in msg and "codes seen in the data: [3, 42]" in msg
    assert "episode.provider" in msg and "`42: <category>`" in msg


def test_text_amounts_are_a_clear_error(codebook):
    raw = opd_raw(OP5A=["5,000 kip", "0"])
    with pytest.raises(InputError, match=r"OP5A holds text .*'5,000 kip'"):
        to_canonical(RawFile(Path("opd.sav"), raw), codebook.tables["episode"], codebook)


def test_two_codes_to_one_category_is_an_error(tmp_path):
    text = BASELINE.read_text().replace("2: sso, 3: cbhi", "2: sass, 3: cbhi")
    bad = tmp_path / "cb.yaml"
    bad.write_text(text)
    with pytest.raises(InputError, match=r"codes \[1, 2\] -> 'sass'.*\n.*line \d+"):
        load_codebook(bad)


def test_pii_never_leaves_ingest(codebook, tmp_path):
    df = pd.DataFrame(
        {
            "HH1": [1],
            "HH2": [1],
            "HH6": [1],
            "HH9": [1],
            "HH_HEAD_NAME": ["Somchai Secret"],
            "HH_PHONE": ["020 5555 1234"],
            "GPS_LAT": [18.9],
            "GPS_LON": [102.4],
        }
    )
    table = codebook.tables["household"]
    cols = {c.raw for c in table.columns.values()} - set(df.columns)
    raw = df.assign(**{c: [1] for c in cols if c != "HH12"}, HH12=[pd.Timestamp("2013-03-05")])
    canon, _ = to_canonical(RawFile(Path("hh.sav"), raw), table, codebook)
    assert "Somchai Secret" not in canon.astype(str).to_string()
    assert not {"HH_HEAD_NAME", "HH_PHONE", "GPS_LAT", "GPS_LON"} & set(canon.columns)


def test_truncated_sav_is_a_clear_error(tmp_path):
    good = tmp_path / "good.sav"
    pyreadstat.write_sav(pd.DataFrame({"HH1": [1.0, 2.0]}), str(good))
    bad = tmp_path / "opd.sav"
    bad.write_bytes(good.read_bytes()[:100])
    with pytest.raises(InputError, match="cannot read the file as SPSS") as err:
        read_raw(bad)
    assert "truncated" in err.value.fix


def test_not_spss_renamed_sav(tmp_path):
    bad = tmp_path / "hh.sav"
    bad.write_text("village,hh\n1,2\n")
    with pytest.raises(InputError, match="cannot read the file as SPSS"):
        read_raw(bad)
