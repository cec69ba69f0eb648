"""Bad-input catalogue: every case runs the WHOLE workflow in a copy of the repository.

Each case corrupts the copy's raw/ data or config, runs `snakemake --cores 2` and checks one of
two outcomes:

- a clear error: non-zero exit, the job log holds `ERROR: <what>`, `where:` and `how to fix:`,
  no Python traceback anywhere (Snakemake's stdout/stderr and every job log), and no output
  that looks complete (no results/report/baseline.html, no results/baseline/indicators.csv);
- a documented, logged treatment: the run completes, the treatment is written where a reader
  looks for it (cleaning log, weight diagnostics, job log) and the affected numbers are honest.

In every case the files under raw/ are byte-identical before and after the run.

Error cases stop at ingest or validation (a few seconds each; `lonely_psu: fail` at
estimation); the three treatment runs are full runs (15-25 s each), each shared by the tests
of its cases. The catalogue with the message of each case is in the README
("Troubleshooting").
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml
from workflow_tools import apply_feature_config, copy_repo, snakemake

pytestmark = pytest.mark.slow

RAW = Path("raw/demo/baseline")
REPORT = Path("results/report/baseline.html")
INDICATORS = Path("results/baseline/indicators.csv")


# ---------------------------------------------------------------------------------------------
# Helpers: read and write raw files of a repository copy


def read_sav(path: Path) -> tuple[pd.DataFrame, object]:
    """A .sav file as stored: user-missing codes kept as values, codes not labelled."""
    return pyreadstat.read_sav(str(path), user_missing=True, apply_value_formats=False)


def write_sav(df: pd.DataFrame, meta, path: Path) -> None:
    """Write ``df`` keeping the labels, value labels, missing codes and formats of ``meta``."""
    cols = list(df.columns)

    def keep(d: dict) -> dict:
        return {k: v for k, v in (d or {}).items() if k in cols}

    formats = keep(meta.original_variable_types)
    labels, missing = keep(meta.variable_value_labels), keep(meta.missing_ranges)
    for c in cols:  # a numeric column turned into text: string format, no numeric codes
        if df[c].dtype == object and not str(formats.get(c, "A")).startswith(("A", "DATE")):
            formats[c] = "A40"
            labels.pop(c, None)
            missing.pop(c, None)
    pyreadstat.write_sav(
        df.reset_index(drop=True),
        str(path),
        column_labels=keep(meta.column_names_to_labels),
        variable_value_labels=labels,
        missing_ranges=missing,
        variable_format=formats,
        variable_measure=keep(meta.variable_measure),
    )


def edit_sav(root: Path, name: str, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    path = root / RAW / name
    df, meta = read_sav(path)
    write_sav(fn(df), meta, path)


def edit_frame(root: Path, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    path = root / RAW / "frame.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    fn(df).to_csv(path, index=False, lineterminator="\n")


MODULES = ["persons.sav", "food.sav", "nonfood.sav", "opd.sav", "ipd.sav", "births.sav", "u5.sav"]


def make_nonresponding(root: Path, villages: list[int]) -> None:
    """Every sampled household of ``villages`` refuses (HH9 = 3): no module records remain."""
    edit_sav(root, "hh.sav", lambda d: d.assign(HH9=d["HH9"].where(~d["HH1"].isin(villages), 3.0)))
    for name in MODULES:
        edit_sav(root, name, lambda d: d[~d["HH1"].isin(villages)])


def checksums(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def all_logs(root: Path) -> str:
    """Every job log and Snakemake's own log of the run, concatenated."""
    files = sorted((root / "results" / "logs").rglob("*.log"))
    files += sorted((root / ".snakemake" / "log").glob("*.log"))
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)


@dataclass
class Run:
    root: Path
    returncode: int
    output: str  # Snakemake's stdout + stderr
    logs: str  # job logs and Snakemake's log file

    def read(self, rel: str) -> pd.DataFrame:
        return (
            pd.read_csv(self.root / rel)
            if rel.endswith(".csv")
            else pd.read_parquet(self.root / rel)
        )


def run_case(tmp: Path, corrupt: Callable[[Path], None], *args: str) -> Run:
    """Copy the repo, corrupt it, run the whole workflow; raw/ must not change during the run."""
    root = copy_repo(tmp / "repo")
    corrupt(root)
    before = checksums(root / "raw")
    proc = snakemake(root, "--cores", "2", *args, check=False)
    assert checksums(root / "raw") == before, "the workflow changed a file under raw/"
    return Run(root, proc.returncode, proc.stdout + proc.stderr, all_logs(root))


def assert_clear_error(run: Run, *expected: str) -> str:
    """Non-zero exit, an ERROR/where/how-to-fix message with ``expected`` parts, no traceback,
    and nothing that looks like a finished result. Returns the message."""
    text = run.output + "\n" + run.logs
    assert run.returncode != 0, run.output[-3000:]
    assert "Traceback" not in text, text[-6000:]
    m = re.search(r"ERROR: .*?\n  where: .*?\n  how to fix: [^\n]*", text, re.S)
    assert m, f"no ERROR/where/how to fix message:\n{text[-4000:]}"
    message = m.group(0)
    for part in expected:
        assert part in message, f"{part!r} not in:\n{message}"
    assert not (run.root / REPORT).exists() and not (run.root / INDICATORS).exists()
    return message


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
# Documented treatments: the run completes, the treatment is logged, the numbers are honest


def _catalogue(root: Path) -> list[dict]:
    return yaml.safe_load((root / "config/indicators.yaml").read_text(encoding="utf-8"))[
        "indicators"
    ]


def _selected(root: Path) -> pd.DataFrame:
    fr = pd.read_csv(root / RAW / "frame.csv")
    return fr[fr["selected"] == 1].sort_values("HH1")


@pytest.fixture(scope="module")
def empty_modules_run(tmp_path_factory) -> Run:
    """opd.sav with no record (nobody ill: ILL1 = 2 for everyone) and births.sav with none."""

    def corrupt(root: Path) -> None:
        edit_sav(root, "persons.sav", lambda d: d.assign(ILL1=d["ILL1"].where(d["ILL1"] != 1, 2)))
        edit_sav(root, "opd.sav", lambda d: d.iloc[:0])
        edit_sav(root, "births.sav", lambda d: d.iloc[:0])

    return run_case(tmp_path_factory.mktemp("empty"), corrupt)


def _assert_completed(run: Run) -> None:
    assert run.returncode == 0, run.output[-5000:]
    assert "Traceback" not in run.output + run.logs
    assert (run.root / REPORT).exists() and (run.root / INDICATORS).exists()


def _not_reported(ind: pd.DataFrame, ids: list[str]) -> None:
    """Each indicator is absent, or every row of it is suppressed with no number."""
    rows = ind[ind["indicator"].isin(ids)]
    assert (rows["flag"] == "suppressed").all(), rows
    assert rows["estimate"].isna().all() and rows["se"].isna().all(), rows
    assert (rows["n_unweighted"] == 0).all(), rows


def test_empty_opd_nobody_ill(empty_modules_run):
    run = empty_modules_run
    _assert_completed(run)
    ind = run.read(str(INDICATORS))
    episode_based = [
        "care_seeking",
        "first_provider_public",
        "forgone_cost",
        "oop_episode_mean",
        "oop_episode_median",
    ]
    _not_reported(ind, episode_based)
    total = ind[ind["domain"] == "total"].set_index("indicator")
    assert total.loc["illness_30d", "estimate"] == 0
    assert total.loc["opd_visits_per_capita", "estimate"] == 0
    assert "episode: 0 rows" in run.logs
    hh = run.read("results/baseline/households.parquet")
    assert (hh["oop_opd"] == 0).all()
    # the care-seeking regression has no data: logged, and the report says it was not estimated
    assert "determinants of care-seeking not estimated: 0 person(s)" in run.logs
    html = (run.root / REPORT).read_text(encoding="utf-8")
    assert 'id="determinants-table"' not in html
    assert "The regression of care-seeking on its determinants was" in html


def test_round_with_no_births(empty_modules_run):
    run = empty_modules_run
    _assert_completed(run)
    ind = run.read(str(INDICATORS))
    _not_reported(ind, ["institutional_delivery", "skilled_birth_attendance", "delivery_cost_mean"])
    assert "birth: 0 rows" in run.logs
    hh = run.read("results/baseline/households.parquet")
    assert (hh["oop_delivery"] == 0).all()


@pytest.fixture(scope="module")
def nonresponse_run(tmp_path_factory) -> Run:
    """One rural village refuses entirely; all urban villages but one refuse entirely."""

    def corrupt(root: Path) -> None:
        sel = _selected(root)
        urban = sel.loc[sel["area"] == 1, "HH1"].tolist()
        rural = sel.loc[sel["area"] == 2, "HH1"].tolist()
        make_nonresponding(root, [rural[0], *urban[1:]])

    return run_case(tmp_path_factory.mktemp("nonresponse"), corrupt)


def test_village_with_no_respondent_is_absorbed_by_its_stratum(nonresponse_run):
    run = nonresponse_run
    _assert_completed(run)
    sel = _selected(run.root)
    village = int(sel.loc[sel["area"] == 2, "HH1"].iloc[0])
    diag = run.read("results/baseline/weights_diagnostics.csv")
    row = diag[
        (diag["scope"] == "village")
        & (diag["level"] == str(village))
        & (diag["measure"] == "nonresponse_factor")
    ]
    assert row["note"].iloc[0] == "no respondent: absorbed by stratum"
    assert "no responding household; their stratum absorbs them" in run.logs
    # the stratum's weighted households still estimate its eligible households
    w = run.read("results/baseline/weights.parquet")
    for _, g in w.groupby("area"):
        elig = g.loc[g["eligible"], "design_weight"].sum()
        assert g["weight"].sum() == pytest.approx(elig, rel=1e-9)


def test_stratum_with_single_responding_village(nonresponse_run):
    run = nonresponse_run
    _assert_completed(run)
    # documented: lonely_psu = adjust (config), logged by the estimation job and in diagnostics
    assert "single responding village" in run.logs
    assert "lonely_psu = adjust" in run.logs
    diag = run.read("results/baseline/weights_diagnostics.csv")
    lonely = diag[(diag["scope"] == "stratum") & (diag["measure"] == "villages_responding")]
    assert lonely.set_index("level").loc["urban", "value"] == 1
    assert "single responding village" in lonely.set_index("level").loc["urban", "note"]
    ind = run.read(str(INDICATORS))
    urban = ind[(ind["domain"] == "area") & (ind["level"] == "urban")]
    # a domain inside one PSU has no design df: no SE or interval is claimed, and it is flagged
    assert len(urban) > 10
    assert (urban["df"] == 0).all() and urban["se"].isna().all() and urban["ci_low"].isna().all()
    assert urban["flag"].isin(["suppressed", "caution"]).all()
    # the other stratum keeps the whole sample's estimates honest: no zero SE but at 0 or 1
    # (ratios excepted: a ratio whose denominator is positive in one household has SE 0)
    ratios = {e["id"] for e in _catalogue(run.root) if e["estimator"] == "ratio"}
    total = ind[(ind["domain"] == "total") & ~ind["indicator"].isin(ratios)]
    zero = total[(total["se"] == 0) & ~total["estimate"].isin([0.0, 1.0])]
    assert zero.empty, zero


@pytest.fixture(scope="module")
def amounts_run(tmp_path_factory) -> Run:
    """Negative amounts, and amounts beyond the int32 range (2,147,483,647)."""

    def corrupt(root: Path) -> None:
        def opd(d: pd.DataFrame) -> pd.DataFrame:
            d = d.copy()
            sought = d.index[d["OP1"] == 1]
            d.loc[sought[0], "OP5B"] = -15000.0
            d.loc[sought[1], "OP5A"] = 3_000_000_000.0
            return d

        def food(d: pd.DataFrame) -> pd.DataFrame:
            d = d.copy()
            d.loc[d.index[0], "FOOD_BUY"] = -2000.0
            d.loc[d.index[1], "FOOD_BUY"] = 2**31 + 5.0
            return d

        def nonfood(d: pd.DataFrame) -> pd.DataFrame:
            d = d.copy()
            d.loc[d.index[2], "NF_VALUE"] = 9_000_000_000_000.0
            return d

        edit_sav(root, "opd.sav", opd)
        edit_sav(root, "food.sav", food)
        edit_sav(root, "nonfood.sav", nonfood)

    return run_case(tmp_path_factory.mktemp("amounts"), corrupt)


AMOUNT_OUTPUTS = [
    "food",
    "nonfood",
    "oop",
    "total",
    "pc_total",
    "oop_opd",
    "oop_incl_transport_food",
]


def test_negative_amounts_are_set_missing_and_imputed(amounts_run):
    run = amounts_run
    _assert_completed(run)
    log = run.read("results/baseline/cleaning_log.csv")
    neg = log[log["rule"] == "negative_to_missing"]
    assert {("episode", "cost_medicine", "-15000.0"), ("food", "buy", "-2000.0")} <= set(
        zip(neg["table"], neg["variable"], neg["old_value"], strict=True)
    )
    for keys in neg["keys"]:
        assert ((log["rule"] == "impute_median") & (log["keys"] == keys)).any()
    found = run.read("results/baseline/validation.csv")
    assert found["check"].str.startswith("negative_amount_").sum() >= 2
    hh = run.read("results/baseline/households.parquet")
    amounts = [c for c in hh.columns if c in AMOUNT_OUTPUTS or c.startswith("oop_")]
    assert (hh[amounts] >= 0).all().all()


def test_amounts_beyond_int32_are_capped_not_wrapped(amounts_run):
    run = amounts_run
    _assert_completed(run)
    log = run.read("results/baseline/cleaning_log.csv")
    capped = log[log["rule"] == "extreme_capped"]
    olds = set(capped["old_value"].astype(float))
    assert {3e9, 2**31 + 5.0, 9e12} <= olds
    hh = run.read("results/baseline/households.parquet")
    amounts = [c for c in hh.columns if c in AMOUNT_OUTPUTS or c.startswith("oop_")]
    assert (hh[amounts] >= 0).all().all()  # no wrap-around to negative
    assert hh["total"].max() < 2e9  # the absurd amounts do not reach the aggregates
    ind = run.read(str(INDICATORS))
    assert ind["estimate"].abs().max() < 1e10


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
# Treatments that let the run go on (issue 18), all planted in one full run


HEAD = {"village": 4, "hh": 6}  # the household whose head's name and phone are planted
OTHER_HH = {"village": 4, "hh": 14}  # another household: its phone goes into an OPD answer
ABSURD = 450_000_000.0  # LAK of informal payments for one outpatient episode


def _treatments(root: Path) -> None:
    # the frame exported with semicolons (Excel in many locales); one selected village lists
    # three times its census size
    fr = pd.read_csv(root / RAW / "frame.csv", dtype=str, keep_default_na=False)
    sel = fr.index[fr["selected"] == "1"][1]
    fr.loc[sel, "listed_hh"] = str(3 * int(fr.loc[sel, "mos_hh"]))
    fr.to_csv(root / RAW / "frame.csv", index=False, sep=";", lineterminator="\n")

    # hh.sav: 998 "don't know" travel time declared missing in the file (DIST_HC), and 997
    # declared missing only in the codebook (DIST_HOSP)
    path = root / RAW / "hh.sav"
    df, meta = read_sav(path)
    df = df.copy()
    df.loc[df.index[:2], "DIST_HC"] = 998.0
    df.loc[df.index[2], "DIST_HOSP"] = 997.0
    meta.missing_ranges["DIST_HC"] = [{"lo": 998.0, "hi": 998.0}]
    meta.variable_value_labels["DIST_HC"] = {998.0: "don't know"}
    write_sav(df, meta, path)
    p = root / "config/codebooks/baseline.yaml"
    text = p.read_text(encoding="utf-8")
    old = "      dist_hosp: {raw: DIST_HOSP, type: number}"
    assert text.count(old) == 1
    p.write_text(
        text.replace(
            old, "      dist_hosp: {raw: DIST_HOSP, type: number, missing: {997: refused}}"
        ),
        encoding="utf-8",
    )
    ident = df.set_index(["HH1", "HH2"])
    name = ident.loc[(HEAD["village"], HEAD["hh"]), "HH_HEAD_NAME"].strip()
    phone = ident.loc[(HEAD["village"], HEAD["hh"]), "HH_PHONE"].strip()
    other_phone = ident.loc[(OTHER_HH["village"], OTHER_HH["hh"]), "HH_PHONE"].strip()
    lat = float(ident.loc[(OTHER_HH["village"], OTHER_HH["hh"]), "GPS_LAT"])

    # persons.sav: a negative age; the head's name and phone in an "other, specify" answer
    def persons(d: pd.DataFrame) -> pd.DataFrame:
        d = d.copy()
        d.loc[d.index[5], "HL6"] = -3.0
        own = d.index[(d["HH1"] == HEAD["village"]) & (d["HH2"] == HEAD["hh"])]
        d.loc[own[0], "INS2_OTHER"] = f"card of {name}, call {phone}"
        d.loc[own[1], "INS2_OTHER"] = f"village fund near {lat:.6f}"
        return d

    edit_sav(root, "persons.sav", persons)

    # opd.sav: an absurd informal payment (an item with few positive amounts); another
    # household's phone, written with its country code, in an OPD answer
    def opd(d: pd.DataFrame) -> pd.DataFrame:
        d = d.copy()
        sought = d.index[(d["OP1"] == 1) & (d["HH1"] != HEAD["village"])]
        d.loc[sought[3], "OP5F"] = ABSURD
        d.loc[d.index[0], "OP4_OTHER"] = "ask +856 " + other_phone.removeprefix("0")
        return d

    edit_sav(root, "opd.sav", opd)
    (root / "planted.yaml").write_text(
        yaml.safe_dump({"name": name, "phone": phone, "other_phone": other_phone, "lat": lat}),
        encoding="utf-8",
    )
    # the robust rule is off: the bound alone must catch the absurd amount
    apply_feature_config(root, "extreme_amounts_keep.yaml")


@pytest.fixture(scope="module")
def treatments_run(tmp_path_factory) -> Run:
    return run_case(tmp_path_factory.mktemp("treatments"), _treatments)


def test_semicolon_frame_is_read_with_a_warning(treatments_run):
    run = treatments_run
    _assert_completed(run)
    assert "the header is separated by semicolon (';'), not commas" in run.logs
    frame = run.read("results/baseline/ingest/frame.parquet")
    raw = pd.read_csv(run.root / RAW / "frame.csv", sep=";")
    assert frame["village"].tolist() == raw["HH1"].tolist()
    assert frame["mos_hh"].tolist() == raw["mos_hh"].astype(float).tolist()


def test_listing_out_of_line_with_census_is_flagged(treatments_run):
    run = treatments_run
    raw = pd.read_csv(run.root / RAW / "frame.csv", sep=";")
    sel = raw[raw["selected"] == 1].iloc[1]
    found = run.read("results/baseline/validation.csv")
    row = found[found["check"] == "listing_vs_census"]
    assert row["keys"].tolist() == [f"village={sel['HH1']}"]
    assert row["severity"].iloc[0] == "warning"
    assert "(ratio 3.00)" in row["value"].iloc[0]


def test_declared_missing_codes_of_any_numeric_variable(treatments_run):
    run = treatments_run
    _assert_completed(run)
    df, _ = read_sav(run.root / RAW / "hh.sav")
    hh = run.read("results/baseline/clean/household.parquet").set_index(["village", "hh"])
    dk = df[df["DIST_HC"] == 998]
    refused = df[df["DIST_HOSP"] == 997]
    assert len(dk) == 2 and len(refused) == 1
    for _, r in dk.iterrows():
        assert np.isnan(hh.loc[(int(r["HH1"]), int(r["HH2"])), "dist_hc"])
    for _, r in refused.iterrows():
        assert np.isnan(hh.loc[(int(r["HH1"]), int(r["HH2"])), "dist_hosp"])
    assert hh["dist_hc"].max() < 998 and hh["dist_hosp"].max() < 997
    log = run.read("results/baseline/cleaning_log.csv")
    dk_log = log[(log["rule"] == "dk_refused_to_missing") & (log["variable"] == "dist_hc")]
    assert dk_log["old_value"].tolist() == ["998 (don't know)"] * 2
    ref_log = log[(log["rule"] == "dk_refused_to_missing") & (log["variable"] == "dist_hosp")]
    assert ref_log["old_value"].tolist() == ["997 (refused)"]


def test_negative_age_is_set_missing(treatments_run):
    run = treatments_run
    df, _ = read_sav(run.root / RAW / "persons.sav")
    r = df.iloc[5]
    keys = f"village={int(r['HH1'])}, hh={int(r['HH2'])}, line={int(r['HL1'])}"
    found = run.read("results/baseline/validation.csv")
    assert ((found["check"] == "age_out_of_range") & (found["keys"] == keys)).any()
    log = run.read("results/baseline/cleaning_log.csv")
    row = log[(log["keys"] == keys) & (log["variable"] == "age")]
    assert row[["old_value", "new_value", "reason"]].values.tolist() == [
        ["-3.0", "missing", "below 0"]
    ]


def test_absurd_amount_is_capped_by_the_bound_whatever_the_count(treatments_run):
    run = treatments_run
    _assert_completed(run)
    opd, _ = read_sav(run.root / RAW / "opd.sav")
    hh, _ = read_sav(run.root / RAW / "hh.sav")
    planted = opd[opd["OP5F"] == ABSURD].iloc[0]
    keys = f"village={int(planted['HH1'])}, hh={int(planted['HH2'])}, line={int(planted['HL1'])}"
    # hand computation of the cap: P99 (linear) of the positive informal payments of responding
    # households' episodes, the planted amount and the user-missing codes left out
    resp = hh.loc[hh["HH9"] == 1, ["HH1", "HH2"]]
    pool = opd.merge(resp, on=["HH1", "HH2"])["OP5F"]
    pool = pool[(pool > 0) & (pool < 9_999_998) & (pool != ABSURD)]
    cap = float(np.percentile(pool.to_numpy(), 99))
    found = run.read("results/baseline/validation.csv")
    flagged = found[found["check"] == "amount_above_bound_episode"]
    assert ((flagged["keys"] == keys) & (flagged["variable"] == "cost_informal")).any()
    log = run.read("results/baseline/cleaning_log.csv")
    row = log[(log["keys"] == keys) & (log["variable"] == "cost_informal")]
    assert row["rule"].tolist() == ["above_bound_capped"]
    assert float(row["old_value"].iloc[0]) == ABSURD
    assert float(row["new_value"].iloc[0]) == pytest.approx(cap, rel=1e-12)
    # the headline mean OOP per episode equals a hand computation from the clean episodes and
    # the household weights
    ep = run.read("results/baseline/clean/episode.parquet")
    w = run.read("results/baseline/weights.parquet")[["village", "hh", "weight"]]
    ep = ep[ep["sought"] == "yes"].merge(w, on=["village", "hh"])
    oop = ep[["cost_consult", "cost_medicine", "cost_tests", "cost_informal"]].fillna(0).sum(axis=1)
    hand = float((ep["weight"] * oop).sum() / ep["weight"].sum())
    ind = run.read(str(INDICATORS))
    est = ind[(ind["indicator"] == "oop_episode_mean") & (ind["domain"] == "total")]
    assert est["estimate"].iloc[0] == pytest.approx(hand, rel=1e-9)
    assert ep["cost_informal"].max() == pool.max()  # nothing else was touched


def _planted(run: Run) -> dict:
    return yaml.safe_load((run.root / "planted.yaml").read_text(encoding="utf-8"))


def _texts_of(path: Path) -> list[bytes]:
    """The bytes of a file, plus those of the members of a zip (xlsx) and every string cell
    of a Parquet file (compressed pages would hide a string from a byte scan)."""
    data = path.read_bytes()
    out = [data]
    if data[:2] == b"PK":
        with zipfile.ZipFile(path) as z:
            out += [z.read(n) for n in z.namelist()]
    if path.suffix == ".parquet":
        table = pd.read_parquet(path)
        for c in table.columns:
            out.append("\n".join(map(str, table[c].tolist())).encode("utf-8"))
    return out


def test_identifiers_in_free_text_leave_no_trace_under_results(treatments_run):
    run = treatments_run
    _assert_completed(run)
    p = _planted(run)
    digits = re.sub(r"\D", "", p["phone"])
    other = re.sub(r"\D", "", p["other_phone"])
    needles = [
        p["name"],
        *p["name"].split(),
        p["phone"],
        digits,
        digits[-8:],
        other[-8:],
        p["other_phone"].removeprefix("0"),
        f"{p['lat']:.6f}",
        f"{p['lat']:.4f}",
    ]
    needles = [n.encode("utf-8") for n in needles]
    files = [f for f in (run.root / "results").rglob("*") if f.is_file()]
    assert any(f.suffix == ".xlsx" for f in files) and any(f.suffix == ".html" for f in files)
    for f in files:
        for blob in _texts_of(f):
            squeezed = re.sub(rb"[\s().+-]", b"", blob)
            for n in needles:
                assert n not in blob, f"{n!r} found in {f}"
                if n.isdigit():
                    assert n not in squeezed, f"{n!r} found in {f} (with separators)"
    # the answers stay, redacted; the log counts them without the value
    person = run.read("results/baseline/clean/person.parquet")
    answers = set(person["scheme_other"].dropna())
    assert "card of [redacted: name], call [redacted: phone]" in answers
    assert "village fund near [redacted: coordinates]" in answers
    ep = run.read("results/baseline/clean/episode.parquet")
    assert "ask [redacted: phone]" in set(ep["reason_other"].dropna())
    log = run.read("results/baseline/cleaning_log.csv")
    red = log[log["rule"] == "free_text_redacted"]
    assert sorted(red["new_value"]) == [
        "redacted: coordinates",
        "redacted: name, phone",
        "redacted: phone",
    ]
    assert (red["old_value"] == "free text (not shown)").all()
    html = (run.root / REPORT).read_text(encoding="utf-8")
    assert "[redacted: name]" in html


def test_reruns_follow_content_and_imports_not_clocks(treatments_run, tmp_path):
    """An untouched rerun does nothing; editing replicates.py (imported by design.py, never
    named by a rule) reruns the composite estimates; a raw file replaced by different content
    with an OLDER modification time reruns the round and gives the new numbers."""
    root = tmp_path / "repo"
    shutil.copytree(treatments_run.root, root, symlinks=True)
    dry = snakemake(root, "--cores", "1", "-n")
    assert "Nothing to be done" in dry.stdout + dry.stderr, dry.stdout[-3000:]
    rep = root / "scripts/hhsurvey/engine/replicates.py"
    rep.write_text(rep.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    dry = snakemake(root, "--cores", "1", "-n").stdout
    jobs = set(re.findall(r"^rule (\w+):", dry, re.M))
    assert "estimate_indicators" in jobs, dry[-3000:]
    assert "ingest_round" not in jobs and "compute_weights" not in jobs
    shutil.copy2(treatments_run.root / "scripts/hhsurvey/engine/replicates.py", rep)

    # a corrected opd.sav arrives with an older mtime (cp -p, unzip, rsync -t)
    path = root / RAW / "opd.sav"
    old_mtime = path.stat().st_mtime - 30 * 86400
    df, meta = read_sav(path)
    target = df.index[(df["OP1"] == 1) & (df["OP5A"] > 0) & (df["OP5A"] < 100_000)][0]
    village, hh = int(df.loc[target, "HH1"]), int(df.loc[target, "HH2"])
    df = df.copy()
    df.loc[target, "OP5A"] += 1000.0
    write_sav(df, meta, path)
    os.utime(path, (old_mtime, old_mtime))
    before = pd.read_parquet(root / "results/baseline/households.parquet")
    target_file = "results/baseline/households.parquet"
    proc = snakemake(root, "--cores", "2", target_file)
    assert "ingest_round" in proc.stdout + proc.stderr
    after = pd.read_parquet(root / target_file)
    b = before.set_index(["village", "hh"])["oop_opd"]
    a = after.set_index(["village", "hh"])["oop_opd"]
    # the household's annual outpatient OOP grows by 12 x 1000 LAK, nothing else moves
    assert a.loc[(village, hh)] - b.loc[(village, hh)] == pytest.approx(12_000.0)
    assert (a.drop(index=(village, hh)) == b.drop(index=(village, hh))).all()
    manifest = pd.read_csv(root / "results/baseline/ingest/manifest.csv")
    sha = manifest.set_index("file").loc["opd.sav", "sha256"]
    assert sha == hashlib.sha256(path.read_bytes()).hexdigest()
