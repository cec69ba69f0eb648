"""Drafts that reason from the data, and a check that catches a sex swap (issue 26).

The demo baseline is re-exported as another firm would deliver it, with no value label at
all (tests/support/byo_round.py, ``value_labels=False``): Stata files, 96 variables renamed,
the frame's stratum renamed, sex 1/2 recoded to 0/1 (1 = female), yes/no 1/2 recoded to 1/0.
The known answers are the conversion itself (the renaming and the recodes), never the draft's
own output. Without labels, only the data can tell which code is which: all mothers of the
births file have sex = 1, the persons with an outpatient record have ill_30d = 1, the persons
who name a scheme have insured = 1, and the frame's strata match the reference round's.
"""

from __future__ import annotations

import re

import pandas as pd
import pyreadstat
import pytest
import yaml
from byo_round import (
    BASELINE_CB,
    INSURED_CODES,
    SEX_CODES,
    YESNO_CODES,
    convert_round,
    hhsurvey,
    known_answers,
)

from hhsurvey.survey.codebook.evidence import CodeEvidence
from hhsurvey.survey.codebook.model import Column
from hhsurvey.survey.codebook.proposal import propose


@pytest.fixture(scope="module")
def bare(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("bare")
    raw = tmp / "raw"
    renames = convert_round(raw, value_labels=False)
    proc = hhsurvey("codebook", "draft", str(raw), "--like", str(BASELINE_CB))
    assert proc.returncode == 0, proc.stderr
    return {
        "tmp": tmp,
        "raw": raw,
        "renames": renames,
        "text": proc.stdout,
        "doc": yaml.safe_load(proc.stdout),
    }


def _line(text: str, key: str, after: str | None = None) -> str:
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip() == f"{after}:") if after else 0
    return next(ln for ln in lines[start:] if ln.strip().startswith(f"{key}:"))


def _codes(doc: dict, table: str, column: str) -> dict:
    spec = doc["tables"][table]["columns"][column]["codes"]
    return doc["codesets"][spec] if isinstance(spec, str) else spec


def _checked(bare: dict, doc: dict, name: str):
    cb = bare["tmp"] / f"{name}.yaml"
    cb.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    cfg = bare["tmp"] / f"{name}_config.yaml"
    cfg.write_text(
        yaml.safe_dump({"rounds": {name: {"raw_dir": str(bare["raw"]), "codebook": str(cb)}}}),
        encoding="utf-8",
    )
    return hhsurvey("codebook", "check", str(cfg))


def test_the_export_has_no_value_labels(bare):
    for p in bare["raw"].glob("*.dta"):
        _, meta = pyreadstat.read_dta(str(p), metadataonly=True)
        assert not meta.variable_value_labels, p.name


def test_every_variable_is_matched(bare):
    answers = known_answers(bare["renames"])
    wrong = {
        (t, c): (bare["doc"]["tables"][t]["columns"][c]["raw"], raw)
        for (t, c), raw in answers.items()
        if bare["doc"]["tables"][t]["columns"][c]["raw"] != raw
    }
    assert not wrong
    # the frame's renamed stratum is found because it equals the households' stratum
    assert "equals household.area" in _line(bare["text"], "area", after="frame")


def test_sex_is_flagged_as_a_recode_and_filled_in_from_the_births(bare):
    sex = _line(bare["text"], "sex")
    assert _codes(bare["doc"], "person", "sex") == SEX_CODES
    assert "possible recode: 'male' is 0 here, 1 in the reference" in sex
    assert "62 of 62 mothers in births.dta have sex = 1" in sex
    assert "persons aged 15-49" in sex
    assert "TODO" not in sex


def test_every_yes_no_mapping_is_right(bare):
    """Each yes/no column maps every code its data hold as the recode says (1 yes, 0 no, 8
    don't know, 9 no response), whether through the code set or inline."""
    ref = yaml.safe_load(BASELINE_CB.read_text(encoding="utf-8"))
    checked = 0
    for t, spec in ref["tables"].items():
        file = spec["file"]
        for c, cs in spec["columns"].items():
            truth = YESNO_CODES if cs.get("codes") == "yesno" else None
            if (t, c) == ("person", "insured"):
                truth = INSURED_CODES
            if truth is None:
                continue
            raw = bare["renames"][file][cs["raw"]]
            df, _ = pyreadstat.read_dta(str(bare["raw"] / file.replace(".sav", ".dta")))
            seen = {int(x) for x in pd.unique(df[raw].dropna())}
            got = {int(k): v for k, v in _codes(bare["doc"], t, c).items()}
            assert {k: got.get(k) for k in seen} == {k: truth[k] for k in seen}, (t, c)
            checked += 1
    assert checked == 26
    yesno = _line(bare["text"], "yesno")
    assert "possible recode: 'no' is 0 here, 2 in the reference" in yesno
    assert "persons with an outpatient record" in yesno and "TODO" not in yesno


def test_at_most_five_todos_and_a_true_summary(bare):
    todo = [ln for ln in bare["text"].splitlines() if "TODO" in ln and not ln.startswith("#")]
    assert len(todo) <= 5, todo
    summary = re.search(r"; (\d+) line\(s\) marked TODO", bare["text"])
    assert summary and int(summary.group(1)) == len(todo)


def test_a_code_set_is_said_used_only_by_the_columns_that_name_it(bare):
    lines = bare["text"].splitlines()
    said: dict[str, set[str]] = {}
    for i, ln in enumerate(lines):
        if ln.startswith("  # used by "):
            name = lines[i + 1].strip().split(":")[0]
            said[name] = set(ln.removeprefix("  # used by ").split(", "))
    naming: dict[str, set[str]] = {}
    for t, spec in bare["doc"]["tables"].items():
        for c, cs in spec["columns"].items():
            if isinstance(cs.get("codes"), str):
                naming.setdefault(cs["codes"], set()).add(f"{t}.{c}")
    assert said == naming
    assert set(said) == set(bare["doc"]["codesets"])


def test_the_draft_checks_ok_and_a_sex_swap_fails_naming_person_sex(bare):
    proc = _checked(bare, bare["doc"], "bare")
    assert proc.returncode == 0 and "OK" in proc.stdout, proc.stdout + proc.stderr
    doc = yaml.safe_load(bare["text"])
    doc["tables"]["person"]["columns"]["sex"]["codes"] = {0: "female", 1: "male"}
    proc = _checked(bare, doc, "swapped")
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "[implausible_mapping] the codebook's mapping of person.sex (pe_q04)" in out
    assert "of the 62 mothers in births.dta, 62 are 'male' by this mapping" in out
    assert "write `codes: {0: male, 1: female}`" in out
    assert "Traceback" not in out + proc.stderr


def test_area_codes_swapped_are_found_from_the_strata(tmp_path):
    raw = tmp_path / "raw"
    convert_round(raw, value_labels=False)
    hh = raw / "hh.dta"
    df, meta = pyreadstat.read_dta(str(hh))
    df["hh_q02"] = df["hh_q02"].replace({1.0: 2.0, 2.0: 1.0})
    pyreadstat.write_dta(
        df, str(hh), column_labels=[meta.column_names_to_labels.get(c) or "" for c in df.columns]
    )
    frame = pd.read_csv(raw / "frame.csv", dtype=str, keep_default_na=False)
    frame["v3"] = frame["v3"].replace({"1": "2", "2": "1"})
    frame.to_csv(raw / "frame.csv", index=False)
    proc = hhsurvey("codebook", "draft", str(raw), "--like", str(BASELINE_CB))
    doc = yaml.safe_load(proc.stdout)
    assert doc["codesets"]["area"] == {1: "rural", 2: "urban"}
    area = _line(proc.stdout, "area", after="codesets")
    assert "possible recode" in area and "backed by the data" in area
    assert "1: 80 villages" in area and "TODO" not in area


SEX = Column(name="sex", raw="HL4", type="category", codes={1: "male", 2: "female"})
MOTHERS = CodeEvidence("person.sex", {1: "female", 0: "male"}, True, "all 62 mothers have 1")


def test_labels_that_disagree_with_the_data_are_a_todo_and_the_data_win():
    p = propose(SEX, {1: "male", 2: "female"}, {0: "female", 1: "male"}, {0, 1}, [MOTHERS])
    assert p.codes == {0: "male", 1: "female"}
    assert any("the value labels disagree with the data" in t for t in p.todo)


def test_a_recode_without_labels_or_data_stays_a_todo():
    weak = CodeEvidence("person.sex", {1: "female", 0: "male"}, False, "3 of 4 mothers have 1")
    p = propose(SEX, {}, {}, {0, 1}, [weak])
    assert any("possible recode" in t and "shifted by one" in t for t in p.todo)
    assert any("weak evidence: 3 of 4 mothers" in t for t in p.todo)
