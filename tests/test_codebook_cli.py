"""`hhsurvey codebook draft` and `hhsurvey codebook check` (issue 17, "Draft and check", "One pass").

The demo baseline round is converted to Stata files as another survey firm would deliver it:
96 variables renamed to opaque names (keys `clust`, `hhnum`, `pline`; the others `hh_q05`, …),
variable labels prefixed with the question number, sex recoded 0/1 (was 1/2) and every yes/no
item recoded 1/0 (was 1/2), each with matching value labels. The known answer of every
canonical column is the renaming itself, so the draft is scored against it, not against its own
output. After the known answers are applied, `codebook check` must pass and the workflow must
give indicators identical to the original round (tests/test_codebook_cli.py::test_workflow_...).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "raw" / "demo" / "baseline"
BASELINE_CB = ROOT / "config" / "codebooks" / "baseline.yaml"
KEYS = {"HH1": "clust", "HH2": "hhnum", "HL1": "pline"}
YESNO = {1.0: "yes", 2.0: "no", 8.0: "don't know", 9.0: "no response"}
# the known answers of the recodes
SEX_CODES = {0: "male", 1: "female"}
YESNO_CODES = {1: "yes", 0: "no", 8: "dont_know", 9: "no_response"}
INSURED_CODES = {1: "yes", 0: "no", 8: "dont_know"}


def convert_round(dst: Path) -> dict[str, dict[str, str]]:
    """Write the baseline round as another firm's Stata files; return file -> {old: new}."""
    dst.mkdir(parents=True, exist_ok=True)
    renames: dict[str, dict[str, str]] = {}
    for p in sorted(SRC.glob("*.sav")):
        df, meta = pyreadstat.read_sav(str(p), user_missing=True, apply_value_formats=False)
        ren, labels, value_labels = {}, {}, {}
        for i, c in enumerate(df.columns):
            new = KEYS.get(c, f"{p.stem[:2]}_q{i:02d}")
            ren[c] = new
            lab = meta.column_names_to_labels.get(c) or ""
            labels[new] = lab if c in KEYS else f"Q{i}. {lab}"
            vl = meta.variable_value_labels.get(c)
            if vl == YESNO or c == "INS1":  # yes/no items: no = 0 instead of 2
                df[c] = df[c].replace({2.0: 0.0})
                vl = {(0.0 if k == 2.0 else k): t for k, t in vl.items()}
            if c == "HL4":  # sex: 0 male, 1 female instead of 1, 2
                df[c] = df[c].replace({1.0: 0.0, 2.0: 1.0})
                vl = {0.0: "male", 1.0: "female"}
            if vl:
                value_labels[new] = {int(k): t for k, t in vl.items()}
        renames[p.name] = ren
        df = df.rename(columns=ren)
        pyreadstat.write_dta(
            df,
            str(dst / f"{p.stem}.dta"),
            column_labels=[labels[c] for c in df.columns],
            variable_value_labels=value_labels,
        )
    frame = pd.read_csv(SRC / "frame.csv", dtype=str, keep_default_na=False)
    frame.rename(columns={"HH1": "clust"}).to_csv(
        dst / "frame.csv", index=False, lineterminator="\n"
    )
    renames["frame.csv"] = {"HH1": "clust"}
    return renames


def hhsurvey(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    return subprocess.run(
        [sys.executable, "-m", "hhsurvey", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def known_answers(renames: dict[str, dict[str, str]]) -> dict[tuple[str, str], str]:
    """(table, column) -> the raw name the converted round uses (from the renaming)."""
    cb = yaml.safe_load(BASELINE_CB.read_text(encoding="utf-8"))
    out = {}
    for t, spec in cb["tables"].items():
        ren = renames[spec["file"]]
        for c, cs in spec["columns"].items():
            out[t, c] = ren.get(cs["raw"], cs["raw"])
    return out


def resolve(draft: dict, renames: dict[str, dict[str, str]]) -> dict:
    """Apply the known answers to the draft: what an evaluator does with its TODOs."""
    doc = dict(draft)
    for (t, c), raw in known_answers(renames).items():
        doc["tables"][t]["columns"][c]["raw"] = raw
    doc["tables"]["person"]["columns"]["sex"]["codes"] = SEX_CODES
    doc["tables"]["person"]["columns"]["insured"]["codes"] = INSURED_CODES
    doc["codesets"]["yesno"] = YESNO_CODES
    for t, spec in doc["tables"].items():
        spec["file"] = Path(spec["file"]).stem + (".csv" if t == "frame" else ".dta")
    return doc


@pytest.fixture(scope="module")
def byo(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("byo")
    raw = tmp / "raw"
    renames = convert_round(raw)
    proc = hhsurvey("codebook", "draft", str(raw), "--like", str(BASELINE_CB))
    assert proc.returncode == 0, proc.stderr
    return {"tmp": tmp, "raw": raw, "renames": renames, "text": proc.stdout, "stderr": proc.stderr}


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


def test_draft_flags_both_recodes_with_todo_and_the_hint(byo):
    lines = byo["text"].splitlines()
    sex = next(ln for ln in lines if ln.strip().startswith("sex:"))
    yesno = next(ln for ln in lines if ln.strip().startswith("yesno:"))
    for line in (sex, yesno):
        assert "TODO" in line and "possible recode" in line, line
    # every guess carries evidence, every variable of a yes/no item points at the code set's TODO
    assert "was HL4: 'Q4. Sex'" in sex
    electricity = next(ln for ln in lines if ln.strip().startswith("electricity:"))
    assert "codes: yesno" in electricity and "TODO" in electricity


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


# ------------------------------------------------------------------------------- one pass
def _planted(root: Path) -> Path:
    """A copy of the baseline round with five problems of different kinds."""
    raw = root / "raw"
    shutil.copytree(SRC, raw)

    def edit(name: str, fn) -> None:
        df, meta = pyreadstat.read_sav(
            str(raw / name), user_missing=True, apply_value_formats=False
        )
        df, vl = fn(df, dict(meta.variable_value_labels))
        cols = list(df.columns)
        keep = {k: v for k, v in meta.missing_ranges.items() if k in cols}
        pyreadstat.write_sav(
            df,
            str(raw / name),
            column_labels={c: meta.column_names_to_labels.get(c) for c in cols},
            variable_value_labels={k: v for k, v in vl.items() if k in cols},
            missing_ranges=keep,
        )

    def persons(df, vl):
        df = df.rename(columns={"CHR1": "chr1"})  # 1. case-only difference
        vl["chr1"] = vl.pop("CHR1")
        ins = df["INS2"].copy()  # 2. scheme codes 3 and 4 swapped, labels included
        df["INS2"] = ins.replace({3.0: 4.0, 4.0: 3.0})
        lab = vl["INS2"]
        vl["INS2"] = {**lab, 3.0: lab[4.0], 4.0: lab[3.0]}
        return df, vl

    def opd(df, vl):
        return df.drop(columns=["OP3"]), vl  # 3. missing variable

    def u5(df, vl):  # 4. yes/no item recoded 1/0: code 0 unmapped, code 2 never seen
        df["CA2"] = df["CA2"].replace({2.0: 0.0})
        vl["CA2"] = {1.0: "yes", 0.0: "no", 8.0: "don't know", 9.0: "no response"}
        return df, vl

    edit("persons.sav", persons)
    edit("opd.sav", opd)
    edit("u5.sav", u5)
    # 5. a module delivered in another format: births.dta instead of births.sav
    df, meta = pyreadstat.read_sav(str(raw / "births.sav"), apply_value_formats=False)
    pyreadstat.write_dta(df, str(raw / "births.dta"))
    (raw / "births.sav").unlink()
    cfg = root / "config.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {"rounds": {"planted": {"raw_dir": str(raw), "codebook": str(BASELINE_CB)}}}
        ),
        encoding="utf-8",
    )
    return cfg


def test_check_lists_five_planted_problems_in_one_run(tmp_path):
    cfg = _planted(tmp_path)
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
@pytest.mark.slow
def test_workflow_gives_the_original_indicators(byo, tmp_path, monkeypatch):
    """The resolved codebook of the converted round, run through ingest..estimate_indicators in
    the same Snakemake run as the original round: indicators.csv identical."""
    from test_workflow import copy_repo, snakemake

    root = copy_repo(tmp_path / "repo")
    # the jobs import this copy's library, not an installed one
    monkeypatch.setenv("PYTHONPATH", str(root / "scripts"))
    shutil.copytree(byo["raw"], root / "raw" / "byo")
    doc = resolve(yaml.safe_load(byo["text"]), byo["renames"])
    (root / "config/codebooks/byo.yaml").write_text(
        yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    base = yaml.safe_load((root / "config/config.yaml").read_text(encoding="utf-8"))
    byo_round = {
        **base["rounds"]["baseline"],
        "raw_dir": "raw/byo",
        "codebook": "config/codebooks/byo.yaml",
    }
    (root / "byo.yaml").write_text(
        yaml.safe_dump({"analyse": ["baseline", "byo"], "rounds": {"byo": byo_round}}),
        encoding="utf-8",
    )
    snakemake(
        root,
        "--cores",
        "2",
        "results/baseline/indicators.csv",
        "results/byo/indicators.csv",
        "results/baseline/endline_planning.csv",
        "--configfile",
        "byo.yaml",
    )
    a = pd.read_csv(root / "results/baseline/indicators.csv")
    b = pd.read_csv(root / "results/byo/indicators.csv")
    pd.testing.assert_frame_equal(a, b)
    # the plan_endline rule's CSV against the hand computation of tests/test_planning.py
    from test_planning import hand

    plan = pd.read_csv(root / "results/baseline/endline_planning.csv").set_index("indicator")
    hh = pd.read_parquet(root / "results/baseline/households.parquet")
    cfg = base["planning"]
    total = a[a["domain"] == "total"].set_index("indicator")
    for ind in ("coverage_any", "care_seeking"):
        t = total.loc[ind]
        h = hand(
            t["estimate"], t["se"], t["deff"], t["df"], t["n_unweighted"],
            cfg["target_change"][ind], villages=hh["village"].nunique(), households=len(hh),
            strata=hh["area"].nunique(), A=cfg["endline_villages"],
            B=cfg["endline_households_per_village"], r=cfg["revisit_correlation"],
        )  # fmt: skip
        for k, v in h.items():
            assert plan.loc[ind, k] == pytest.approx(v, rel=1e-9, nan_ok=True), (ind, k)


@pytest.mark.slow
def test_ingest_reports_every_problem_at_once(tmp_path, monkeypatch):
    """The ingest rule runs the same check: all five planted problems in one job log."""
    from test_workflow import copy_repo, snakemake

    root = copy_repo(tmp_path / "repo")
    # the jobs import this copy's library, not an installed one
    monkeypatch.setenv("PYTHONPATH", str(root / "scripts"))
    planted = _planted(tmp_path / "planted")
    shutil.rmtree(root / "raw" / "demo" / "baseline")
    shutil.copytree(tmp_path / "planted" / "raw", root / "raw" / "demo" / "baseline")
    assert planted.exists()
    proc = snakemake(root, "--cores", "1", "results/baseline/ingest/manifest.csv", check=False)
    assert proc.returncode != 0
    log = (root / "results/logs/ingest_round/baseline.log").read_text(encoding="utf-8")
    assert "Traceback" not in log + proc.stderr
    assert "ERROR: 5 problems between the round's files and its codebook" in log, log
    for kind in (
        "name_case",
        "label_contradiction",
        "missing_variable",
        "unmapped_code",
        "file_format",
    ):
        assert f"[{kind}]" in log, log


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
