"""Bad-input catalogue, errors: every case runs the WHOLE workflow in a copy of the repository.

Each case corrupts the copy's raw/ data or config, runs `snakemake --cores 2` and checks a clear
error: non-zero exit, the job log holds `ERROR: <what>`, `where:` and `how to fix:`, no Python
traceback anywhere (Snakemake's stdout/stderr and every job log), and no output that looks
complete (no results/report/baseline.html, no results/baseline/indicators.csv). In every case
the files under raw/ are byte-identical before and after the run.

Error cases stop at ingest or validation (a few seconds each; `lonely_psu: fail` at
estimation). The cases the run treats and goes on are in test_bad_input_treatments.py; the
helpers of both in tests/support/bad_inputs.py. The catalogue with the message of each case is
in the README ("Troubleshooting").
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from bad_inputs import (
    RAW,
    assert_clear_error,
    edit_frame,
    edit_sav,
    edit_text,
    make_nonresponding,
    read_sav,
    run_case,
    run_in,
    write_sav,
)
from workflow_tools import apply_feature_config, copy_repo, snakemake

pytestmark = pytest.mark.slow

# ---------------------------------------------------------------------------------------------
# Error cases: each stops the run with a message (what, where, how to fix)


def _truncate(root: Path) -> None:
    p = root / RAW / "hh.sav"
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 3])


def _not_spss(root: Path) -> None:
    (root / RAW / "persons.sav").write_text("HH1,HH2,HL1\n1,1,1\n", encoding="utf-8")


def _missing_file(root: Path) -> None:
    (root / RAW / "births.sav").unlink()


def _missing_variable(root: Path) -> None:
    edit_sav(root, "opd.sav", lambda d: d.drop(columns=["OP3"]))


def _text_amounts(root: Path) -> None:
    def fn(d: pd.DataFrame) -> pd.DataFrame:
        text = d["OP5B"].map(lambda v: "" if np.isnan(v) else f"{v:,.0f} kip")
        return d.assign(OP5B=text.astype(object))

    edit_sav(root, "opd.sav", fn)


def _unknown_code(root: Path) -> None:
    def fn(d: pd.DataFrame) -> pd.DataFrame:
        d = d.copy()
        d.loc[d.index[d["INS2"].notna()][:3], "INS2"] = 7.0
        return d

    edit_sav(root, "persons.sav", fn)


def _duplicate_household(root: Path) -> None:
    edit_sav(root, "hh.sav", lambda d: pd.concat([d, d.iloc[[5]]], ignore_index=True))


def _duplicate_person(root: Path) -> None:
    edit_sav(root, "persons.sav", lambda d: pd.concat([d, d.iloc[[10]]], ignore_index=True))


def _orphan_persons(root: Path) -> None:
    # household 4/22 (responding, with a roster) is missing from hh.sav; its persons stay
    edit_sav(root, "hh.sav", lambda d: d[~((d["HH1"] == 4) & (d["HH2"] == 22))])


def _zero_mos(root: Path) -> None:
    edit_frame(root, lambda d: d.assign(mos_hh=d["mos_hh"].where(d["HH1"] != "4", "0")))


def _negative_mos(root: Path) -> None:
    edit_frame(root, lambda d: d.assign(mos_hh=d["mos_hh"].where(d["HH1"] != "1", "-106")))


def _village_not_in_frame(root: Path) -> None:
    edit_frame(root, lambda d: d[d["HH1"] != "10"])


def _non_utf8_csv(root: Path) -> None:
    p = root / RAW / "frame.csv"
    p.write_bytes(p.read_bytes().replace(b"Ban Phatha", "Ban Phàtha".encode("latin-1")))


def _non_utf8_sav(root: Path) -> None:
    # a value label keyed in a legacy 8-bit code page inside a file that declares UTF-8
    p = root / RAW / "hh.sav"
    data = p.read_bytes()
    assert data.count(b"partly completed") == 1
    p.write_bytes(data.replace(b"partly completed", b"partly compl\xe9ted"))


# The configuration edits of these cases are feature configurations of .test/config/, merged
# into the copy's config/config.yaml (a user's edit; later runs in the copy need no --configfile)


def _config_unknown_key(root: Path) -> None:
    apply_feature_config(root, "bad/unknown_key.yaml")  # design.lonley_psu


def _config_wrong_type(root: Path) -> None:
    apply_feature_config(root, "bad/wrong_type.yaml")  # validation.max_age: "105 years"


def _codebook_merge(root: Path) -> None:
    p = root / "config/codebooks/baseline.yaml"
    text = p.read_text(encoding="utf-8")
    assert text.count("7: abroad") == 1
    p.write_text(text.replace("7: abroad", "7: traditional"), encoding="utf-8")


def _lonely_psu_fail(root: Path) -> None:
    # all urban villages but one refuse, and the config forbids a lonely PSU
    fr = pd.read_csv(root / RAW / "frame.csv")
    urban = fr.loc[(fr["selected"] == 1) & (fr["area"] == 1), "HH1"].sort_values().tolist()
    make_nonresponding(root, urban[1:])
    apply_feature_config(root, "lonely_psu_fail.yaml")


ERROR_CASES = {
    # case: (corruption, the rule that stops, parts of the message)
    "truncated_sav": (
        _truncate,
        "ingest_round",
        ["cannot read the file as SPSS", "hh.sav", "export it again"],
    ),
    "not_spss_renamed_sav": (
        _not_spss,
        "ingest_round",
        ["cannot read the file as SPSS", "persons.sav"],
    ),
    "missing_module_file": (
        _missing_file,
        "ingest_round",
        ["'births.sav' (table birth) is missing", "baseline.yaml line"],
    ),
    "missing_variable": (
        _missing_variable,
        "ingest_round",
        ["variable OP3", "opd.sav", "raw: OP3"],
    ),
    "text_amounts": (_text_amounts, "ingest_round", ["OP5B holds text", "opd.sav", "numeric"]),
    "unknown_code": (
        _unknown_code,
        "ingest_round",
        ["INS2 has code(s) 7", "persons.sav", "`7: <category>`"],
    ),
    "duplicate_household_keys": (
        _duplicate_household,
        "validate_round",
        ["[duplicate_keys_household]", "hh.sav"],
    ),
    "duplicate_person_keys": (
        _duplicate_person,
        "validate_round",
        ["[duplicate_keys_person]", "persons.sav"],
    ),
    "persons_without_household": (
        _orphan_persons,
        "validate_round",
        ["[orphan_person]", "village=4, hh=22"],
    ),
    "zero_measure_of_size": (
        _zero_mos,
        "validate_round",
        ["[frame_measure_of_size]", "frame.csv", "village=4", "census household count"],
    ),
    "negative_measure_of_size": (
        _negative_mos,
        "validate_round",
        ["[frame_measure_of_size]", "village=1"],
    ),
    "village_not_in_frame": (
        _village_not_in_frame,
        "validate_round",
        ["[village_not_in_frame]", "village=10", "frame.csv"],
    ),
    "non_utf8_csv_label": (
        _non_utf8_csv,
        "ingest_round",
        ["not valid UTF-8", "line 5, column 9", "frame.csv"],
    ),
    "non_utf8_sav_label": (_non_utf8_sav, "ingest_round", ["hh.sav", "UTF-8"]),
    "lonely_psu_fail": (
        _lonely_psu_fail,
        # the first rule that builds the design stops (the two run side by side)
        ("estimate_indicators", "simulate_scenarios"),
        ["stratum ['urban'] has a single responding village", "lonely_psu: fail", "adjust"],
    ),
    "codebook_merges_codes": (
        _codebook_merge,
        "ingest_round",
        ["codes [6, 7] -> 'traditional'", "baseline.yaml line", "allow_merge"],
    ),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_error_case(case, tmp_path):
    corrupt, rule, expected = ERROR_CASES[case]
    run = run_case(tmp_path, corrupt)
    assert_clear_error(run, *expected)
    rules = (rule,) if isinstance(rule, str) else rule
    # it stops where the problem is found
    assert any(f"Error in rule {r}:" in run.output for r in rules), run.output[-3000:]


CONFIG_CASES = {
    "config_unknown_key": (_config_unknown_key, ["lonley_psu"]),
    "config_wrong_type": (_config_wrong_type, ["max_age", "105 years", "integer"]),
}


@pytest.mark.parametrize("case", sorted(CONFIG_CASES))
def test_config_error_stops_before_any_rule(case, tmp_path):
    corrupt, expected = CONFIG_CASES[case]
    run = run_case(tmp_path, corrupt)
    text = run.output + run.logs
    assert run.returncode != 0
    assert "Traceback" not in text, text[-4000:]
    for part in expected:
        assert part in text, text[-4000:]
    assert not (run.root / "results").exists()


# ---------------------------------------------------------------------------------------------
# Plausibility and consistency (issue 18): errors grouped into one run where the checks allow


def _codebook_line(root: Path, table: str, column: str) -> int:
    """Line of ``column:`` under ``table:`` in the copy's baseline codebook, found by hand."""
    lines = (root / "config/codebooks/baseline.yaml").read_text(encoding="utf-8").splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip() == f"{table}:")
    return next(
        i + 1 for i, ln in enumerate(lines) if i > start and ln.strip().startswith(f"{column}:")
    )


def _consistency_errors(root: Path) -> None:
    # the frame: village 1 (not selected) and village 4 (selected) twice; village 2's measure
    # of size infinite
    def frame(d: pd.DataFrame) -> pd.DataFrame:
        d = pd.concat([d, d[d["HH1"].isin(["1", "4"])]], ignore_index=True)
        return d.assign(mos_hh=d["mos_hh"].where(d["HH1"] != "2", "inf"))

    edit_frame(root, frame)

    # hh.sav: the stratum variable renamed STRATUM in this round, and its codes swapped in the
    # codebook (every household then contradicts the frame); household 4/22 has no result code
    def hh(d: pd.DataFrame) -> pd.DataFrame:
        d = d.rename(columns={"HH6": "STRATUM"})
        blank = (d["HH1"] == 4) & (d["HH2"] == 22)
        return d.assign(HH9=d["HH9"].mask(blank))

    edit_sav(root, "hh.sav", hh)
    p = root / "config/codebooks/baseline.yaml"
    text = p.read_text(encoding="utf-8")
    old = "      area: {raw: HH6, type: category, codes: area}\n      result:"
    assert text.count(old) == 1
    p.write_text(
        text.replace(
            old,
            "      area: {raw: STRATUM, type: category, codes: {1: rural, 2: urban}}\n      result:",
        ),
        encoding="utf-8",
    )

    # a non-food record of household 4/6 without its recall period
    def nonfood(d: pd.DataFrame) -> pd.DataFrame:
        d = d.copy()
        d.loc[d.index[(d["HH1"] == 4) & (d["HH2"] == 6)][0], "NF_RECALL"] = np.nan
        return d

    edit_sav(root, "nonfood.sav", nonfood)


def test_consistency_errors_in_one_message(tmp_path):
    run = run_case(tmp_path, _consistency_errors)
    message = assert_clear_error(run)
    assert "Error in rule validate_round:" in run.output
    # duplicate frame rows, selected or not, and the infinite measure of size
    assert "[frame_duplicate_village]" in message
    assert "village=1" in message and "village=4" in message
    found = run.output + run.logs
    assert "[frame_measure_of_size]" in message and "village=2" in message
    # the household's stratum against its village's stratum, in the round's own names, with
    # the codebook line as the likely cause because every household fails
    assert "[stratum_mismatch]" in message
    assert "STRATUM (area)" in message and "HH6" not in message
    line = _codebook_line(run.root, "household", "area")
    assert "Every record of the table fails this check" in message
    assert f"baseline.yaml line {line}" in message
    # the blank result code names the household and the variable, and is not reported as
    # persons without a household
    assert "[blank_result]" in message and "village=4, hh=22" in message
    assert "HH9 (result)" in message
    assert "[orphan_" not in message and "add the missing household record" not in found
    # the blank recall period
    assert "[blank_recall_period]" in message and "NF_RECALL (recall)" in message


def _first_row_comma(root: Path) -> None:
    p = root / RAW / "frame.csv"
    text = p.read_text(encoding="utf-8")
    assert text.count("Ban Phaluang,") == 1
    p.write_text(text.replace("Ban Phaluang,", "Ban Phaluang, upper,"), encoding="utf-8")


def _text_dates_day_first(root: Path) -> None:
    path = root / RAW / "hh.sav"
    df, meta = read_sav(path)
    df = df.assign(HH12=df["HH12"].map(lambda x: x.strftime("%d/%m/%Y")).astype(object))
    meta.original_variable_types["HH12"] = "A10"
    write_sav(df, meta, path)


def _codebook_yaml_error(root: Path) -> None:
    p = root / "config/codebooks/baseline.yaml"
    text = p.read_text(encoding="utf-8")
    old = "      hh: {raw: HH2, type: integer}\n      area:"
    assert text.count(old) == 1
    p.write_text(text.replace(old, "      hh: {raw: HH2, type: integer\n      area:"), "utf-8")


INGEST_MESSAGE_CASES = {
    "first_row_unquoted_comma": (
        _first_row_comma,
        [
            "line 2 has 9 fields where the header has 8",
            "frame.csv, line 2, column 9",
            "must be quoted",
        ],
    ),
    "ambiguous_text_dates": (
        _text_dates_day_first,
        ["variable HH12 holds", "not ISO", "hh.sav", "format:", "baseline.yaml line"],
    ),
    "codebook_yaml_error": (
        _codebook_yaml_error,
        ["not valid YAML", "baseline.yaml line", "column"],
    ),
}


@pytest.mark.parametrize("case", sorted(INGEST_MESSAGE_CASES))
def test_ingest_message_case(case, tmp_path):
    corrupt, expected = INGEST_MESSAGE_CASES[case]
    run = run_case(tmp_path, corrupt)
    message = assert_clear_error(run, *expected)
    assert "Error in rule ingest_round:" in run.output
    # the message lands in the job's log, which the README points to
    job_log = (run.root / "results/logs/ingest_round/baseline.log").read_text(encoding="utf-8")
    assert message.splitlines()[0] in job_log
    assert "holds text" not in message  # the first-row comma is not mistaken for a text column


def _config_yaml_tag(root: Path) -> None:
    p = root / "config/config.yaml"
    text = p.read_text(encoding="utf-8")
    p.write_text(
        text.replace("  lang: en", '  lang: !!python/object/apply:os.system ["echo pwned"]'),
        "utf-8",
    )


def _config_yte(root: Path) -> None:
    p = root / "config/config.yaml"
    p.write_text("__use_yte__: true\n" + p.read_text(encoding="utf-8"), encoding="utf-8")


DAG_MESSAGE_CASES = {
    "config_yaml_tag": (
        _config_yaml_tag,
        ["YAML tags are not allowed", "config/config.yaml line", "remove the tag"],
    ),
    "config_yte_templating": (
        _config_yte,
        ["turns on YTE templating (`__use_yte__`)", "config/config.yaml line 1"],
    ),
}


@pytest.mark.parametrize("case", sorted(DAG_MESSAGE_CASES))
def test_config_file_refused_before_any_rule(case, tmp_path):
    corrupt, expected = DAG_MESSAGE_CASES[case]
    run = run_case(tmp_path, corrupt)
    text = run.output + run.logs
    assert run.returncode != 0
    assert "Traceback" not in text, text[-4000:]
    assert "tab indentation" not in text, text[-4000:]  # not the misleading tab hint
    assert "pwned" not in run.output  # the tag was never executed
    m = re.search(r"ERROR: .*?\n  where: .*?\n  how to fix: [^\n]*", text, re.S)
    assert m, text[-4000:]
    for part in expected:
        assert part in m.group(0), m.group(0)
    assert not (run.root / "results").exists()


# ---------------------------------------------------------------------------------------------
# Round two (issue 27): files outside the round, the frame and the sample, tracebacks,
# misleading messages and cost attacks. Each case is planted as a user's data or config would
# hold it; run_case checks raw/ unchanged and nothing written outside results/.


def _raw_dir_traversal(root: Path) -> None:
    edit_text(
        root, "config/config.yaml", "raw_dir: raw/demo/baseline", "raw_dir: raw/../../../../../etc"
    )


def _price_year_beyond_cpi(root: Path) -> None:
    edit_text(root, "config/config.yaml", "price_year: 2013", "price_year: 2024")


def _expression_injection(root: Path) -> None:
    # a catalogue expression that writes a file outside results/ and overwrites a raw file
    edit_text(
        root,
        "config/indicators.yaml",
        "definition: \"insured == 'yes'\"",
        "definition: \"(insured == 'yes') + 0 * age.to_csv('../outside.csv').__len__()"
        " + 0 * age.to_csv('raw/demo/baseline/frame.csv').__len__()\"",
    )


ROUND_TWO_DAG_CASES = {
    "raw_dir_traversal": (
        _raw_dir_traversal,
        [
            "rounds.baseline.raw_dir = 'raw/../../../../../etc'",
            "outside raw/",
            "config/config.yaml",
        ],
    ),
    "price_year_beyond_cpi": (
        _price_year_beyond_cpi,
        ["rounds.baseline.price_year = 2024", "outside the CPI table", "add the CPI of 2024"],
    ),
    "expression_injection": (
        _expression_injection,
        ["a call of `__len__(...)`", "indicator coverage_any (definition)", "docs/expressions.md"],
    ),
}


@pytest.mark.parametrize("case", sorted(ROUND_TWO_DAG_CASES))
def test_round_two_refused_before_any_rule(case, tmp_path):
    """The path-traversal and expression-injection cases fail on the code before issue 27:
    nine "module file is missing" messages, and a file written outside results/."""
    corrupt, expected = ROUND_TWO_DAG_CASES[case]
    run = run_case(tmp_path, corrupt)
    text = run.output + run.logs
    assert run.returncode != 0
    assert "Traceback" not in text, text[-4000:]
    m = re.search(r"ERROR: .*?\n  where: .*?\n  how to fix: [^\n]*", text, re.S)
    assert m, text[-4000:]
    for part in expected:
        assert part in m.group(0), m.group(0)
    assert run.output.count("ERROR:") == 1  # one message, naming the key
    assert "is missing" not in text
    assert not (run.root / "results").exists()
    assert not (tmp_path / "outside.csv").exists()


def _outside_file_and_lao_labels(root: Path) -> None:
    # the codebook reads the frame from outside the round, whose names would reach the report
    outside = root / "outside"
    outside.mkdir()
    fr = pd.read_csv(root / RAW / "frame.csv", dtype=str, keep_default_na=False)
    fr.assign(village_en="TEXT FROM OUTSIDE").to_csv(outside / "frame.csv", index=False)
    edit_text(
        root,
        "config/codebooks/baseline.yaml",
        "file: frame.csv",
        "file: ../../../outside/frame.csv",
    )
    # persons.sav: the scheme's value labels in Lao script, CBHI and HEF swapped
    path = root / RAW / "persons.sav"
    df, meta = read_sav(path)
    meta.variable_value_labels["INS2"] = {
        1.0: "ອົງການປະກັນສັງຄົມແຫ່ງລັດ",
        2.0: "ສຳນັກງານປະກັນສັງຄົມ",
        3.0: "ກອງທຶນເພື່ອຄວາມເທົ່າທຽມດ້ານສຸຂະພາບ",  # the Health Equity Fund, on CBHI's code
        4.0: "ປະກັນສຸຂະພາບຊຸມຊົນ",  # community-based health insurance, on HEF's code
        5.0: "ປະກັນໄພເອກະຊົນ",
        6.0: "ອື່ນໆ",
    }
    write_sav(df, meta, path)


def _frame_duplicate_column(root: Path) -> None:
    edit_frame(
        root, lambda d: pd.concat([d, d[["area"]].rename(columns={"area": "area2"})], axis=1)
    )
    p = root / RAW / "frame.csv"
    lines = p.read_text(encoding="utf-8").split("\n", 1)
    p.write_text(lines[0].replace("area2", "area") + "\n" + lines[1], encoding="utf-8")


def _csv_field_of_one_mib(root: Path) -> None:
    edit_frame(
        root, lambda d: d.assign(village_en=d["village_en"].where(d.index != 3, "x" * (1 << 20)))
    )


def _key_almost_whole(root: Path) -> None:
    def fn(d: pd.DataFrame) -> pd.DataFrame:
        d = d.copy()
        d.loc[d.index[7], "HL1"] = d.loc[d.index[7], "HL1"] - 1e-10  # shown as a whole number
        return d

    edit_sav(root, "persons.sav", fn)


def _codebook_alias_bomb(root: Path) -> None:
    p = root / "config/codebooks/baseline.yaml"
    lines = ['a0: &a0 ["' + '", "'.join(["lol"] * 10) + '"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    p.write_text("\n".join(lines) + "\n" + p.read_text(encoding="utf-8"), encoding="utf-8")


ROUND_TWO_INGEST_CASES = {
    "outside_file_and_lao_labels": (
        _outside_file_and_lao_labels,
        [
            "2 problems between the round's files and its codebook",
            "`file: ../../../outside/frame.csv` (table frame) leaves the round's raw folder",
            "tables.frame.file",
            "value labels of INS2 contradict the codebook",
            "the codes look swapped",
        ],
    ),
    "frame_duplicate_column": (
        _frame_duplicate_column,
        ["names column(s) ['area'] more than once", "frame.csv, line 1", "rename or remove"],
    ),
    "csv_field_of_one_mib": (
        _csv_field_of_one_mib,
        ["longer than 131,072 characters", "not an unclosed quote", "frame.csv, line 5"],
    ),
    "key_almost_whole": (
        _key_almost_whole,
        [
            "variable HL1 (person.line) must hold whole numbers",
            "persons.sav, variable HL1, row(s) [8]",
        ],
    ),
    "codebook_alias_bomb": (
        _codebook_alias_bomb,
        ["expands to more than 200,000 values through its aliases", "baseline.yaml"],
    ),
}


@pytest.mark.parametrize("case", sorted(ROUND_TWO_INGEST_CASES))
def test_round_two_ingest_stops_with_a_message(case, tmp_path):
    corrupt, expected = ROUND_TWO_INGEST_CASES[case]
    run = run_case(tmp_path, corrupt)
    assert "Error in rule ingest_round:" in run.output, run.output[-3000:]
    message = assert_clear_error(run)
    text = run.output + run.logs
    for part in expected:
        assert part in text, f"{part!r} not in:\n{message}"
    job_log = (run.root / "results/logs/ingest_round/baseline.log").read_text(encoding="utf-8")
    assert message.splitlines()[0] in job_log  # the rule's log holds the message
    assert "TEXT FROM OUTSIDE" not in text
    assert not list((run.root / "results").rglob("*.parquet"))  # nothing half-written


def test_a_truncated_parquet_in_results_is_named(tmp_path):
    """An interrupted run left results/baseline/ingest/person.parquet cut in half: the next
    run named nothing but a traceback of pyarrow."""
    root = copy_repo(tmp_path / "repo")
    first = snakemake(root, "--cores", "2", "results/baseline/ingest/manifest.csv", check=False)
    assert first.returncode == 0, first.stdout[-3000:]
    target = root / "results/baseline/ingest/person.parquet"
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    run = run_in(root)
    message = assert_clear_error(
        run,
        "the file results/baseline/ingest/person.parquet is truncated or unreadable",
        "delete it and rerun",
    )
    assert "Error in rule validate_round:" in run.output
    log = (root / "results/logs/validate_round/baseline.log").read_text(encoding="utf-8")
    assert message.splitlines()[0] in log


def _sample_disagrees(root: Path) -> None:
    """Every check of the frame and the sample, and the village in thousands, in one run."""
    fr = pd.read_csv(root / RAW / "frame.csv", dtype=str, keep_default_na=False)
    sel = fr[fr["selected"] == "1"]
    urban_off = fr.index[(fr["selected"] == "0") & (fr["area"] == "1")][0]
    rural_off = fr.index[(fr["selected"] == "0") & (fr["area"] == "2")][0]
    gone, zero, thousands, partly = (int(v) for v in sel["HH1"].iloc[[2, 5, 8, 11]])
    fr.loc[urban_off, "mos_hh"] = str(int(fr.loc[urban_off, "mos_hh"]) * 1000)
    fr.loc[rural_off, "area"] = ""
    fr.loc[fr["HH1"] == str(zero), "sampled_hh"] = "0"
    fr.to_csv(root / RAW / "frame.csv", index=False, lineterminator="\n")
    (root / "planted.yaml").write_text(
        yaml.safe_dump(
            {
                "urban_off": int(fr.loc[urban_off, "HH1"]),
                "rural_off": int(fr.loc[rural_off, "HH1"]),
                "gone": gone,
                "zero": zero,
                "thousands": thousands,
                "partly": partly,
            }
        ),
        encoding="utf-8",
    )

    def hh(d: pd.DataFrame) -> pd.DataFrame:
        d = d[d["HH1"] != gone].copy()  # a selected village with no record in any file
        blank = d.index[d["HH9"] == 1][20:25]
        d.loc[blank, "HH6"] = np.nan  # HH6 blank for five households
        two = d.index[(d["HH1"] == partly) & (d["HH9"] == 1)][:2]
        d.loc[two, "HH9"] = 5.0  # partly completed, with full data
        return _in_thousands(d, ["HE1", "HE2"], thousands)

    edit_sav(root, "hh.sav", hh)
    for name, cols in AMOUNT_FILES.items():
        edit_sav(root, name, lambda d, c=cols: _in_thousands(d[d["HH1"] != gone], c, thousands))
    for name in ("persons.sav", "births.sav", "u5.sav"):
        edit_sav(root, name, lambda d: d[d["HH1"] != gone])


AMOUNT_FILES = {
    "food.sav": ["FOOD_BUY", "FOOD_OWN", "FOOD_GIFT"],
    "nonfood.sav": ["NF_VALUE"],
    "opd.sav": [f"OP5{x}" for x in "ABCDEF"],
    "ipd.sav": [f"IP3{x}" for x in "ABCDEF"],
}


def _in_thousands(d: pd.DataFrame, cols: list[str], village: int) -> pd.DataFrame:
    """The village's amounts as a team recording thousands of kip would hold them (the
    don't-know and refused codes 9999998/9999999 kept)."""
    d = d.copy()
    rows = d["HH1"] == village
    for c in cols:
        amount = rows & d[c].notna() & (d[c] < 9_999_998)
        d.loc[amount, c] = d.loc[amount, c] / 1000
    return d


def test_the_frame_and_the_sample_disagree_in_one_message(tmp_path):
    run = run_case(tmp_path, _sample_disagrees)
    message = assert_clear_error(run)
    assert "Error in rule validate_round:" in run.output
    p = yaml.safe_load((run.root / "planted.yaml").read_text(encoding="utf-8"))
    parts = {m.group(1): m.group(0) for m in re.finditer(r"\[(\w+)\][^\n]*", message)}
    # an unselected village's census size x1000 (the urban total would go from 3,158 to 88,073)
    assert f"village={p['urban_off']}" in parts["frame_size_outlier"]
    assert "times the median of its stratum" in parts["frame_size_outlier"]
    # a blank stratum for an unselected village
    assert f"village={p['rural_off']}" in parts["frame_blank_stratum"]
    # a selected village with no record in any file
    assert f"village={p['gone']}" in parts["selected_village_without_data"]
    assert "village_result to 2 (not visited)" in parts["selected_village_without_data"]
    # sampled_hh = 0, and HH6 blank for five households, before any weight is computed
    assert f"village={p['zero']}" in parts["frame_listing_counts"]
    assert "zero or negative" in parts["frame_listing_counts"]
    assert "violated by 5 record(s)" in parts["household_blank_stratum"]
    assert "HH6" in parts["household_blank_stratum"]
    # partly completed households with full data: the config key is named
    nonresp = parts["records_of_nonresponding_household"]
    assert "weights.responding_results" in nonresp and "violated by 2 record(s)" in nonresp
    assert "partly_completed (records in persons.sav: " in nonresp
    # one village in thousands of kip: one village-level message, not hundreds of records
    assert parts["village_amount_scale"].count(f"village={p['thousands']}") == 1
    assert "multiplied by 1,000" in parts["village_amount_scale"]
    assert "cleaning.village_amount_scale: rescale" in parts["village_amount_scale"]
    assert "extreme_amount" not in message
    assert not (run.root / "results/baseline/weights.parquet").exists()
