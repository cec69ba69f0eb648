"""`hhsurvey codebook draft` and `hhsurvey codebook check` (issue 17, "Draft and check", "One pass").

The demo baseline round is converted to Stata files as another survey firm would deliver it:
96 variables renamed to opaque names (keys `clust`, `hhnum`, `pline`; the others `hh_q05`, …),
variable labels prefixed with the question number, sex recoded 0/1 (was 1/2) and every yes/no
item recoded 1/0 (was 1/2), each with matching value labels. The known answer of every
canonical column is the renaming itself, so the draft is scored against it, not against its own
output. After the known answers are applied, `codebook check` must pass and the workflow must
give indicators identical to the original round (tests/unit/survey/test_codebook_cli.py::test_workflow_...).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from byo_round import (
    BASELINE_CB,
    ROOT,
    SEX_CODES,
    YESNO_CODES,
    hhsurvey,
    known_answers,
    planted_round,
    resolve,
)


def test_conversion_renames_about_60_variables(byo):
    renamed = sum(old != new for ren in byo["renames"].values() for old, new in ren.items())
    assert renamed >= 60


def test_draft_maps_at_least_90_percent_of_the_variables(byo):
    draft = yaml.safe_load(byo["text"])
    answers = known_answers(byo["renames"])
    right = sum(draft["tables"][t]["columns"][c]["raw"] == raw for (t, c), raw in answers.items())
    assert right / len(answers) >= 0.90, (right, len(answers))
    # the file of every table is found
    for t, spec in yaml.safe_load(BASELINE_CB.read_text(encoding="utf-8"))["tables"].items():
        assert Path(draft["tables"][t]["file"]).stem == Path(spec["file"]).stem


def test_draft_flags_both_recodes_with_their_evidence(byo):
    """Labels and data agree (all mothers have sex = 1, labelled 'female'): each recode is
    flagged with its evidence and filled in, not left as a TODO."""
    lines = byo["text"].splitlines()
    sex = next(ln for ln in lines if ln.strip().startswith("sex:"))
    yesno = next(ln for ln in lines if ln.strip().startswith("yesno:"))
    for line in (sex, yesno):
        assert "possible recode" in line and "backed by the data" in line, line
        assert "value labels and data agree" in line and "TODO" not in line, line
    assert "62 of 62 mothers in births.dta have sex = 1" in sex
    assert "persons with an outpatient record in opd.dta have ill_30d = 1" in yesno
    # every guess carries evidence, every variable of a yes/no item names the code set
    assert "was HL4: 'Q4. Sex'" in sex
    electricity = next(ln for ln in lines if ln.strip().startswith("electricity:"))
    assert "codes: yesno" in electricity and "TODO" not in electricity
    doc = yaml.safe_load(byo["text"])
    assert doc["tables"]["person"]["columns"]["sex"]["codes"] == SEX_CODES
    assert doc["codesets"]["yesno"] == YESNO_CODES


def test_check_passes_after_the_todos_are_resolved(byo):
    doc = resolve(yaml.safe_load(byo["text"]), byo["renames"])
    cb = byo["tmp"] / "byo.yaml"
    cb.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    cfg = byo["tmp"] / "config.yaml"
    cfg.write_text(
        yaml.safe_dump({"rounds": {"byo": {"raw_dir": str(byo["raw"]), "codebook": str(cb)}}}),
        encoding="utf-8",
    )
    proc = hhsurvey("codebook", "check", str(cfg))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "OK" in proc.stdout


def test_check_of_the_unresolved_baseline_codebook_names_the_recode(byo):
    """The baseline codebook against the converted files: the yes/no recode on a shared code set."""
    cfg = byo["tmp"] / "as_baseline.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {"rounds": {"byo": {"raw_dir": str(byo["raw"]), "codebook": str(BASELINE_CB)}}}
        ),
        encoding="utf-8",
    )
    out = hhsurvey("codebook", "check", str(cfg)).stdout
    assert "[file_format]" in out and "'hh.dta' (Stata) is there instead" in out


def test_check_lists_five_planted_problems_in_one_run(tmp_path):
    cfg = planted_round(tmp_path)
    before = {p.name: p.read_bytes() for p in (tmp_path / "raw").iterdir()}
    proc = hhsurvey("codebook", "check", str(cfg), "--round", "planted")
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "Traceback" not in out + proc.stderr
    expected = [
        "[name_case] variable CHR1 (canonical person.chronic) is in the file only as chr1",
        "[label_contradiction] value labels of INS2 contradict the codebook: code 3 is labelled "
        "'Health Equity Fund' in the file, but the codebook maps it to 'cbhi'",
        "[missing_variable] variable OP3 (canonical episode.visits) is not in the file.",
        "[unmapped_code] variable CA2 has code(s) 0 ('no') that the codebook does not map",
        "possible recode (0 ('no') is what the codebook codes as 2)",
        "shared code set `yesno`",
        "[file_format] module file 'births.sav' (table birth) is missing; 'births.dta' (Stata)",
    ]
    for part in expected:
        assert part in out, f"{part!r} not in:\n{out}"
    assert "5 problem(s)" in out  # nothing else is reported
    # the label contradiction names both labels; the shared-set note lists its users
    assert "code 4 is labelled 'CBHI (community-based)'" in out and "child.fever (CA2)" in out
    assert {p.name: p.read_bytes() for p in (tmp_path / "raw").iterdir()} == before


def test_check_on_the_demo_rounds_passes():
    for cfg in ("config/config.yaml", "config/endline.yaml"):
        proc = hhsurvey("codebook", "check", cfg)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_check_of_a_config_without_rounds_is_a_clear_error(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("analyse: [x]\n", encoding="utf-8")
    proc = hhsurvey("codebook", "check", str(cfg))
    assert proc.returncode == 2 and "no `rounds:` section" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_console_script_is_declared():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'hhsurvey = "hhsurvey.__main__:main"' in text


# ------------------------------------------------------------------------------- workflow


def test_draft_of_the_demo_endline_finds_its_renames_and_its_new_code():
    """The endline instrument (docs/raw_layout.md): ILL1 -> ILL30, OP5A..F -> OP5_1..6, and
    INS2 gains 7 = NHI, a category the baseline codebook lacks: a TODO, never a guess."""
    proc = hhsurvey("codebook", "draft", "raw/demo/endline")
    assert proc.returncode == 0, proc.stderr
    doc = yaml.safe_load(proc.stdout)
    cols = doc["tables"]["episode"]["columns"]
    assert [cols[f"cost_{c}"]["raw"] for c in ("consult", "medicine", "tests")] == [
        "OP5_1",
        "OP5_2",
        "OP5_3",
    ]
    assert doc["tables"]["person"]["columns"]["ill_30d"]["raw"] == "ILL30"
    scheme = next(ln for ln in proc.stdout.splitlines() if ln.strip().startswith("scheme:"))
    assert "TODO code 7 ('National Health Insurance (NHI)') matches no category" in scheme
    assert 7 not in doc["tables"]["person"]["columns"]["scheme"]["codes"]
