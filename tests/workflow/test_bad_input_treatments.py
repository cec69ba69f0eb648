"""Bad-input catalogue, treatments: every case runs the WHOLE workflow in a copy of the repository.

Each case corrupts the copy's raw/ data or config, runs `snakemake --cores 2` and checks a
documented, logged treatment: the run completes, the treatment is written where a reader looks
for it (cleaning log, weight diagnostics, job log) and the affected numbers are honest. In every
case the files under raw/ are byte-identical before and after the run.

The treatment runs are full runs (15-25 s each), each shared by the tests of its cases (module
fixtures). The cases that stop with a message are in test_bad_inputs.py; the helpers of both in
tests/support/bad_inputs.py.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from bad_inputs import (
    INDICATORS,
    RAW,
    REPORT,
    Run,
    edit_sav,
    make_nonresponding,
    read_sav,
    run_case,
    write_sav,
)
from workflow_tools import apply_feature_config, snakemake

pytestmark = pytest.mark.slow

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
