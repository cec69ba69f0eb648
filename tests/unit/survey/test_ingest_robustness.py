"""Ingest reads what real exports hold, or says what is wrong (issue 27): Stata extended
missing values, fractional keys, a header naming a column twice, a very long CSV value,
zero-width characters in free text, and value labels in Lao script."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from testpaths import REPO

from hhsurvey.errors import InputError
from hhsurvey.survey.codebook.check import check_table, codeset_users
from hhsurvey.survey.codebook.match import contradictions, uncompared
from hhsurvey.survey.codebook.model import load_codebook
from hhsurvey.survey.io import RawFile, read_raw, to_canonical
from hhsurvey.survey.text import normalise, strip_invisible

BASELINE = REPO / "config" / "codebooks" / "baseline.yaml"
SCHEMES = {1: "sass", 2: "sso", 3: "cbhi", 4: "hef", 5: "private", 6: "other"}
LAO = {  # the Lao names of config/codebooks/baseline.yaml `category_labels`
    "cbhi": "ປະກັນສຸຂະພາບຊຸມຊົນ",
    "hef": "ກອງທຶນເພື່ອຄວາມເທົ່າທຽມດ້ານສຸຂະພາບ",
}


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(BASELINE)


def opd(**columns) -> pd.DataFrame:
    """Two outpatient episodes with every variable of the baseline codebook."""
    cols = {"HH1": [1, 1], "HH2": [1, 2], "HL1": [1, 3], "OP1": [1, 2], "OP2": [3, None]}
    cols |= {"OP3": [2, None], "OP4": [None, 2], "OP4_OTHER": ["", ""], "OP6": [2, None]}
    cols |= {f"OP5{x}": [1000, None] for x in "ABCDEF"}
    return pd.DataFrame(cols | columns)


def _u5(tmp_path: Path) -> Path:
    """u5 as a Stata file: CA6 (sought) holds .a (not applicable) and .b (don't know)."""
    df = pd.DataFrame(
        {
            "HH1": [1.0, 1.0, 2.0, 2.0],
            "HH2": [1.0, 1.0, 1.0, 2.0],
            "HL1": [3.0, 4.0, 3.0, 5.0],
            **{c: [2.0, 1.0, 2.0, 2.0] for c in ["CA1", "CA2", "CA3", "CA4", "CA5"]},
            "CA6": pd.Series([1.0, "a", 2.0, "b"], dtype=object),
            "CA7": [3.0, np.nan, np.nan, np.nan],
        }
    )
    path = tmp_path / "u5.dta"
    pyreadstat.write_dta(
        df,
        str(path),
        missing_user_values={"CA6": ["a", "b"]},
        variable_value_labels={
            "CA6": {1: "yes", 2: "no", "a": "not applicable", "b": "don't know"}
        },
    )
    return path


def test_stata_extended_missing_values_are_missing_and_logged(tmp_path, codebook):
    """On the code before issue 27: "variable CA6 holds text ... store the variable as numeric"."""
    raw = read_raw(_u5(tmp_path))
    canon, special = to_canonical(raw, codebook.tables["child"], codebook)
    assert canon["sought"].astype("string").tolist() == ["yes", pd.NA, "no", pd.NA]
    got = special[["keys", "raw_variable", "code", "meaning"]].values.tolist()
    assert got == [
        ["village=1, hh=1, line=4", "CA6", ".a", "not applicable"],
        ["village=2, hh=2, line=5", "CA6", ".b", "don't know"],
    ]


def test_a_fractional_key_names_file_row_and_value(codebook):
    """3.9999999999 (shown as 4 by SPSS) was cut to 3: the episode went to another person."""
    df = opd(HL1=[1, 3.9999999999])
    with pytest.raises(InputError) as err:
        to_canonical(RawFile(Path("opd.sav"), df), codebook.tables["episode"], codebook)
    e = err.value
    assert "variable HL1 (episode.line) must hold whole numbers" in e.what
    assert "row 2: 3.9999999999" in e.what
    assert e.where == "opd.sav, variable HL1, row(s) [2]"
    assert "round the value(s)" in e.fix


def test_a_csv_header_naming_a_column_twice(tmp_path):
    path = tmp_path / "frame.csv"
    path.write_text("HH1,area,mos_hh,area\n1,1,100,2\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_raw(path)
    assert "names column(s) ['area'] more than once (columns [2, 4])" in err.value.what
    assert err.value.where == f"{path}, line 1"


def test_a_very_long_value_is_not_called_an_unclosed_quote(tmp_path):
    path = tmp_path / "frame.csv"
    long = "x" * (1 << 20)
    path.write_text(f'HH1,village_en\n1,"{long}"\n2,Ban Na\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_raw(path)
    assert "holds a value longer than 131,072 characters" in err.value.what
    assert "not an unclosed quote" in err.value.what
    assert err.value.where == f"{path}, line 2"
    # a quote really left open still gets the quote message
    path.write_text('HH1,village_en\n1,"Ban Na\n2,Ban Xay\n', encoding="utf-8")
    with pytest.raises(InputError, match="a quote opened in a value must be closed"):
        read_raw(path)


def test_free_text_loses_its_zero_width_characters(codebook, caplog):
    values = pd.Series(["ປະກັນສຸຂະພາບ\u200bທະຫານ", "army\u200c card", None, "\u200b"], dtype="str")
    clean, n = strip_invisible(values)
    assert n == 3
    assert clean.iloc[0] == "ປະກັນສຸຂະພາບທະຫານ" and clean.iloc[1] == "army card"
    assert pd.isna(clean.iloc[2]) and pd.isna(clean.iloc[3])
    df = opd(OP4_OTHER=["", "far\u200b away"])
    with caplog.at_level(logging.INFO):
        canon, _ = to_canonical(RawFile(Path("opd.sav"), df), codebook.tables["episode"], codebook)
    assert canon["reason_other"].iloc[1] == "far away"
    assert "zero-width characters removed from 1 answer(s)" in caplog.text


def test_normalise_labels_in_any_script():
    assert normalise("ປະກັນສຸຂະພາບ\u200bຊຸມຊົນ") == normalise("ປະກັນສຸຂະພາບຊຸມຊົນ")
    assert normalise("ໜອງ") == normalise("ຫນອງ")  # NFKC: the two spellings of HO NO
    assert normalise("  ＣＢＨＩ  Fund ") == "cbhi fund"  # full-width letters, case, spaces


def test_swapped_lao_labels_contradict_the_codebook(codebook):
    """The label check read only Latin letters, so Lao labels were never compared."""
    labels = {3: LAO["hef"], 4: "ກອງທຶນ\u200bປະກັນສຸຂະພາບຊຸມຊົນ"}
    found = contradictions(labels, SCHEMES, codebook.labels)
    assert found == [(3, LAO["hef"], "hef"), (4, labels[4], "cbhi")]
    # the right labels pass; without the names they cannot be compared, and say so
    assert contradictions({3: LAO["cbhi"], 4: LAO["hef"]}, SCHEMES, codebook.labels) == []
    assert [c for c, _ in uncompared(labels, SCHEMES, {})] == [3, 4]


def test_swapped_lao_labels_stop_ingest_check(tmp_path, codebook):
    df = pd.DataFrame({"HH1": [1.0], "HH2": [1.0], "HL1": [1.0], "INS1": [1.0], "INS2": [3.0]})
    path = tmp_path / "persons.sav"
    pyreadstat.write_sav(
        df,
        str(path),
        variable_value_labels={
            "INS2": {1.0: "ອົງການປະກັນສັງຄົມແຫ່ງລັດ", 3.0: LAO["hef"], 4.0: LAO["cbhi"]}
        },
    )
    problems = check_table(tmp_path, codebook.tables["person"], codebook, codeset_users(codebook))
    swapped = [p for p in problems if p.kind == "label_contradiction"]
    assert len(swapped) == 1 and "INS2" in swapped[0].what
    assert "the codes look swapped" in swapped[0].what
