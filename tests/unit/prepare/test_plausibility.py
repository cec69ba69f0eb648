"""Plausibility, consistency and privacy rules of issue 18, on small hand-made inputs.

The workflow-level cases (planted in the demo round, one run for several) are in
tests/workflow/test_bad_inputs.py and test_bad_input_treatments.py; these tests pin the rules
themselves against hand computations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from canonical_fixture import CODEBOOK, PARAMS, tiny_round
from testpaths import REPO

from hhsurvey.errors import InputError
from hhsurvey.prepare.outliers import above_bound, extreme_amounts
from hhsurvey.prepare.validate import raise_on_errors, run_checks
from hhsurvey.survey.codebook.model import check_config_file, load_codebook
from hhsurvey.survey.io import RawFile, read_raw, read_round, to_canonical
from hhsurvey.survey.privacy import collect_identifiers, redact_text

ROOT = REPO


def test_stratum_of_one_household_against_the_frame():
    t = tiny_round()
    hh = t["household"]
    t["household"] = hh.assign(area=hh["area"].where(hh["hh"] != 2, "rural"))  # village 1
    f = run_checks(t, {**PARAMS, "strata": "area", "raw_names": {"household.area": "HH6"}}, {})
    bad = f[f["check"] == "stratum_mismatch"]
    assert bad["keys"].tolist() == ["village=1, hh=2"]
    assert bad["value"].tolist() == ["rural in the household file vs urban in the frame"]
    with pytest.raises(InputError) as err:
        raise_on_errors(f, t, {"household.area": "HH6"}, {}, {"household": "hh.sav"})
    assert "variable HH6 (area)" in err.value.message
    assert "Every record" not in err.value.message  # one of three households


def test_outlier_rule_falls_back_to_the_family_when_an_item_is_small():
    # 12 typical amounts of item a, 3 of item b (too few for its own median and MAD), one of
    # which is absurd: the family (both items) screens it
    a = [1000.0, 1200, 900, 1100, 1000, 1300, 950, 1050, 1000, 1150, 1250, 980]
    df = pd.DataFrame({"item": ["a"] * 12 + ["b"] * 3, "x": a + [1000.0, 1100.0, 5e8]})
    flag = extreme_amounts(df, "x", "item", 5.0)
    lx = np.log1p(df["x"])
    med = np.median(lx)
    mad = 1.4826 * np.median(np.abs(lx - med))
    hand = np.abs(lx - med) / mad > 5.0
    assert flag.tolist() == hand.tolist() == [False] * 14 + [True]


def test_outlier_rule_pools_the_family_columns_when_a_column_is_small():
    # cost_informal has three positive amounts; the six cost columns pooled screen it
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"c1": rng.uniform(1e4, 2e4, 30), "c2": [0.0] * 27 + [1e4, 2e4, 4.5e8]})
    flag = extreme_amounts(df, "c2", None, 5.0, ["c1", "c2"])
    assert flag.tolist() == [False] * 29 + [True]
    assert not extreme_amounts(df, "c2", None, 5.0).any()  # alone: too few to screen


def test_amount_bounds_apply_whatever_the_count():
    bounds = {"episode": 2e7, "nonfood_30d": 2e7, "nonfood_12m": 2e8}
    ep = pd.DataFrame({"cost_informal": [4.5e8, 1e4, np.nan]})
    assert above_bound(ep, "episode", "cost_informal", bounds).tolist() == [True, False, False]
    nf = pd.DataFrame({"recall": ["days30", "months12", None], "value": [3e7, 3e7, 3e9]})
    assert above_bound(nf, "nonfood", "value", bounds).tolist() == [True, False, False]


def test_declared_missing_values_of_any_numeric_variable_and_codebook_missing():
    cb = load_codebook(ROOT / "config/codebooks/baseline.yaml")
    table = cb.tables["household"]
    raw, _ = pyreadstat.read_sav(
        str(ROOT / "raw/demo/baseline/hh.sav"), user_missing=True, apply_value_formats=False
    )
    raw = raw.head(4).copy()
    raw.loc[0, "DIST_HC"] = 998.0
    raw.loc[1, "DIST_HC"] = 150.0  # inside a declared range 100-199
    rf = RawFile(
        Path("hh.sav"),
        raw,
        value_labels={"DIST_HC": {998.0: "don't know"}},
        missing_values={"DIST_HC": {998.0}},
        missing_ranges={"DIST_HC": [(100.0, 199.0)]},
    )
    canon, special = to_canonical(rf, table, cb)
    assert canon["dist_hc"].isna().tolist()[:2] == [True, True]
    assert canon["dist_hc"].iloc[2] == raw.loc[2, "DIST_HC"]
    assert sorted(special["meaning"]) == ["declared missing range", "don't know"]


def test_codebook_missing_and_date_format(tmp_path):
    text = (ROOT / "config/codebooks/baseline.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "dist_hosp: {raw: DIST_HOSP, type: number}",
        "dist_hosp: {raw: DIST_HOSP, type: number, missing: {997: refused}}",
    ).replace(
        "interview_date: {raw: HH12, type: date}",
        'interview_date: {raw: HH12, type: date, format: "%d/%m/%Y"}',
    )
    p = tmp_path / "cb.yaml"
    p.write_text(text, encoding="utf-8")
    cb = load_codebook(p)
    raw, _ = pyreadstat.read_sav(
        str(ROOT / "raw/demo/baseline/hh.sav"), user_missing=True, apply_value_formats=False
    )
    raw = raw.head(3).copy()
    raw["DIST_HOSP"] = [997.0, 5.0, 10.0]
    raw["HH12"] = ["03/04/2013", "18/03/2013", ""]
    canon, special = to_canonical(RawFile(Path("hh.sav"), raw), cb.tables["household"], cb)
    assert canon["dist_hosp"].isna().tolist() == [True, False, False]
    assert special["meaning"].tolist() == ["refused"]
    assert canon["interview_date"].dt.strftime("%Y-%m-%d").tolist()[:2] == [
        "2013-04-03",
        "2013-03-18",
    ]
    assert pd.isna(canon["interview_date"].iloc[2])


def test_semicolon_csv_and_first_row_comma(tmp_path):
    p = tmp_path / "frame.csv"
    p.write_text("HH1;village_en;mos_hh\n1;Ban Na, upper;100\n2;Ban Done;50\n", encoding="utf-8")
    df = read_raw(p).data
    assert df.values.tolist() == [["1", "Ban Na, upper", "100"], ["2", "Ban Done", "50"]]
    p.write_text("HH1,village_en,mos_hh\n1,Ban Na, upper,100\n2,Ban Done,50\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_raw(p)
    assert "line 2 has 4 fields where the header has 3" in err.value.what
    assert err.value.where.endswith("line 2, column 4")
    p.write_text('HH1,village_en\n1,"Ban Na\n2,Ban Done\n', encoding="utf-8")
    with pytest.raises(InputError) as err:  # an unclosed quote: a message, never a KeyError
        read_raw(p)
    assert "record starting on line 2" in err.value.what
    assert err.value.where.endswith("frame.csv, line 2")


def test_redaction_of_names_phones_and_coordinates():
    ids = collect_identifiers(
        [
            pd.Series(["Viengsay Phimmasone", "Davone Vongsouthi"]),
            pd.Series(["020 5564 1468", ""]),
            pd.Series([18.923925, 102.452138]),
        ]
    )
    text = pd.Series(
        [
            "card of Viengsay Phimmasone, call 020 5564 1468",
            "ask +856 20 5564 1468",
            "near 18.923925 / 102.4521",
            "army card",
            None,
            "phone 2055641468 davone",
        ]
    )
    new, kinds = redact_text(text, ids)
    assert new.tolist()[:4] == [
        "card of [redacted: name], call [redacted: phone]",
        "ask [redacted: phone]",
        "near [redacted: coordinates] / [redacted: coordinates]",
        "army card",
    ]
    assert pd.isna(new.iloc[4])
    assert new.iloc[5] == "phone [redacted: phone] [redacted: name]"
    assert kinds.tolist() == ["name, phone", "phone", "coordinates", "", "", "name, phone"]


def test_show_verbatim_false_withholds_every_answer():
    cb = load_codebook(ROOT / "config/codebooks/baseline.yaml")
    tables, _, _, red = read_round(ROOT / "raw/demo/baseline", cb, show_verbatim=False)
    assert tables["person"]["scheme_other"].isna().all()
    assert tables["episode"]["reason_other"].isna().all()
    assert tables["frame"]["village_en"].notna().all()  # village names are not free text
    raw = read_raw(ROOT / "raw/demo/baseline/persons.sav").data
    answered = int((raw["INS2_OTHER"].str.strip() != "").sum())
    assert (red["table"] == "person").sum() == answered > 0
    assert set(red["kinds"]) == {"withheld (report.show_verbatim: false)"}


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("a: !!python/object/apply:os.system [ls]\n", "YAML tags are not allowed"),
        ("__use_yte__: true\na: 1\n", "turns on YTE templating"),
        ("a:\n\tb: 1\n", "not valid YAML"),
    ],
)
def test_config_file_checks(tmp_path, text, what):
    p = tmp_path / "c.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        check_config_file(p)
    assert what in err.value.what
    assert str(p) in err.value.where


def test_codebook_names_the_round_file_in_messages():
    assert CODEBOOK.tables["household"].file == "hh.sav"
