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
import pyreadstat
import pytest
import yaml
from bad_inputs import (
    INDICATORS,
    MODULES,
    RAW,
    REPORT,
    Run,
    edit_frame,
    edit_sav,
    edit_text,
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
    """One rural village refuses entirely; all urban villages but one refuse entirely; another
    rural village could not be visited: no record in any file, marked in the frame."""

    def corrupt(root: Path) -> None:
        sel = _selected(root)
        urban = sel.loc[sel["area"] == 1, "HH1"].tolist()
        rural = sel.loc[sel["area"] == 2, "HH1"].tolist()
        make_nonresponding(root, [rural[0], *urban[1:]])
        for name in ["hh.sav", *MODULES]:
            edit_sav(root, name, lambda d: d[d["HH1"] != rural[1]])
        edit_frame(
            root,
            lambda d: d.assign(village_result=np.where(d["HH1"] == str(rural[1]), "2", "")),
        )

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
    # ("not applicable": a structural zero, e.g. impoverishment where all are below the line)
    assert urban["flag"].isin(["suppressed", "caution", "not applicable"]).all()
    assert urban["flag"].isin(["suppressed", "caution"]).sum() > 10
    # the other stratum keeps the whole sample's estimates honest: no zero SE but at 0 or 1
    # (ratios excepted: a ratio whose denominator is positive in one household has SE 0)
    ratios = {e["id"] for e in _catalogue(run.root) if e["estimator"] == "ratio"}
    total = ind[(ind["domain"] == "total") & ~ind["indicator"].isin(ratios)]
    zero = total[(total["se"] == 0) & ~total["estimate"].isin([0.0, 1.0])]
    assert zero.empty, zero


def test_a_selected_village_not_visited_is_carried_by_its_stratum(nonresponse_run):
    """The weighted households fell by 5 % and the diagnostics said 19 villages where the
    frame has 20. By hand: villages drawn with probability proportional to size (none a
    certainty unit in the rural stratum), so the visited villages carry n_h / (n_h - 1)."""
    run = nonresponse_run
    _assert_completed(run)
    sel = _selected(run.root)
    rural = sel[sel["area"] == 2]
    fr = pd.read_csv(run.root / RAW / "frame.csv")
    total = fr.loc[fr["area"] == 2, "mos_hh"].sum()
    assert (len(rural) * rural["mos_hh"] / total).max() < 1  # no certainty unit
    diag = run.read("results/baseline/weights_diagnostics.csv").set_index(
        ["scope", "level", "measure"]
    )
    assert diag.loc[("overall", "total", "villages_selected"), "value"] == len(sel)
    assert diag.loc[("overall", "total", "villages_not_visited"), "value"] == 1
    factor = diag.loc[("stratum", "rural", "village_nonresponse_factor"), "value"]
    assert factor == pytest.approx(len(rural) / (len(rural) - 1), rel=1e-12)
    assert "selected but not visited (frame village_result)" in run.logs


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


# ---------------------------------------------------------------------------------------------
# Round two (issue 27): treatments that give back the demo's own estimates, all in one run


def _round_two(root: Path) -> None:
    sel = _selected(root)
    village = int(sel["HH1"].iloc[8])  # its team recorded every amount in thousands of kip
    # opd.sav: "sought care" (OP1) blank for ten episodes with a provider and spending
    blanked: list[str] = []

    def opd(d: pd.DataFrame) -> pd.DataFrame:
        d = d.copy()
        rows = d.index[(d["OP1"] == 1) & d["OP2"].notna() & d["OP4"].isna()][:10]
        blanked.extend(
            f"village={int(a)}, hh={int(b)}, line={int(c)}"
            for a, b, c in d.loc[rows, ["HH1", "HH2", "HL1"]].itertuples(index=False)
        )
        d.loc[rows, "OP1"] = np.nan
        return _thousands(d, [f"OP5{x}" for x in "ABCDEF"], village)

    edit_sav(root, "opd.sav", opd)

    # persons.sav: a zero-width space inside every Lao "other, specify" answer
    def persons(d: pd.DataFrame) -> pd.DataFrame:
        lao = d["INS2_OTHER"].str.contains("ປະກັນ|ກອງທຶນ", regex=True)
        text = d["INS2_OTHER"].where(
            ~lao, d["INS2_OTHER"].str[:6] + "\u200b" + d["INS2_OTHER"].str[6:]
        )
        return d.assign(INS2_OTHER=text)

    edit_sav(root, "persons.sav", persons)
    # u5 exported from Stata: CA6 (sought advice) holds .a / .b where it was not asked
    path = root / RAW / "u5.sav"
    df, meta = read_sav(path)
    ca6 = df["CA6"].astype(object)
    unasked = df.index[df["CA6"].isna()]
    ca6.loc[unasked[:5]] = "a"
    ca6.loc[unasked[5:8]] = "b"
    labels = {k: {int(c): v for c, v in vl.items()} for k, vl in meta.variable_value_labels.items()}
    labels["CA6"] |= {"a": "not applicable", "b": "not asked"}
    pyreadstat.write_dta(
        df.assign(CA6=ca6),
        str(root / RAW / "u5.dta"),
        column_labels=meta.column_names_to_labels,
        variable_value_labels=labels,
        missing_user_values={"CA6": ["a", "b"]},
    )
    path.unlink()
    edit_text(root, "config/codebooks/baseline.yaml", "file: u5.sav", "file: u5.dta")
    # the village in thousands, in every module with amounts; the config rescales it
    edit_sav(root, "hh.sav", lambda d: _thousands(d, ["HE1", "HE2"], village))
    edit_sav(
        root, "food.sav", lambda d: _thousands(d, ["FOOD_BUY", "FOOD_OWN", "FOOD_GIFT"], village)
    )
    edit_sav(root, "nonfood.sav", lambda d: _thousands(d, ["NF_VALUE"], village))
    edit_sav(root, "ipd.sav", lambda d: _thousands(d, [f"IP3{x}" for x in "ABCDEF"], village))
    edit_sav(root, "births.sav", lambda d: _thousands(d, ["MN4"], village))
    edit_text(
        root, "config/config.yaml", "village_amount_scale: stop", "village_amount_scale: rescale"
    )
    (root / "planted.yaml").write_text(
        yaml.safe_dump({"village": village, "blanked": blanked}), encoding="utf-8"
    )


def _thousands(d: pd.DataFrame, cols: list[str], village: int) -> pd.DataFrame:
    """The village's amounts divided by 1,000 (don't know / refused codes kept)."""
    d = d.copy()
    for c in cols:
        amount = (d["HH1"] == village) & d[c].notna() & (d[c] < 9_999_998)
        d.loc[amount, c] = d.loc[amount, c] / 1000
    return d


@pytest.fixture(scope="module")
def round_two_run(tmp_path_factory) -> Run:
    return run_case(tmp_path_factory.mktemp("round_two"), _round_two)


def test_round_two_treatments_give_back_the_demo_estimates(round_two_run, demo_run):
    """Care-seeking fell from 62.0 % to 54.7 %, a coverage figure dropped and mean OOP fell
    14 %, each with nothing logged; every estimate is now the demo's own."""
    run = round_two_run
    _assert_completed(run)
    ours = run.read(str(INDICATORS)).set_index(["indicator", "domain", "level"]).sort_index()
    demo = (
        pd.read_csv(demo_run / INDICATORS).set_index(["indicator", "domain", "level"]).sort_index()
    )
    assert ours.index.equals(demo.index)
    assert (ours["n_unweighted"] == demo["n_unweighted"]).all()
    for col in ("estimate", "se", "ci_low", "ci_high", "n_weighted"):
        assert np.allclose(ours[col], demo[col], rtol=1e-9, atol=1e-9, equal_nan=True), col
    assert (ours["flag"].fillna("") == demo["flag"].fillna("")).all()


def test_blank_sought_care_is_imputed_and_logged(round_two_run):
    run = round_two_run
    planted = yaml.safe_load((run.root / "planted.yaml").read_text(encoding="utf-8"))
    log = run.read("results/baseline/cleaning_log.csv")
    rows = log[log["rule"] == "filter_imputed"]
    assert sorted(rows["keys"]) == sorted(planted["blanked"])
    assert set(rows["new_value"]) == {"yes"} and set(rows["variable"]) == {"sought"}
    found = run.read("results/baseline/validation.csv")
    warned = found[found["check"] == "blank_filter_episode_sought"]
    assert sorted(warned["keys"]) == sorted(planted["blanked"])
    assert (warned["severity"] == "warning").all()


def test_the_village_in_thousands_is_one_warning_and_rescaled_with_a_log_row_each(round_two_run):
    run = round_two_run
    village = yaml.safe_load((run.root / "planted.yaml").read_text(encoding="utf-8"))["village"]
    found = run.read("results/baseline/validation.csv")
    mine = found[found["check"] == "village_amount_scale"]
    assert mine["keys"].tolist() == [f"village={village}"] and mine["severity"].tolist() == [
        "warning"
    ]
    record_level = found[found["check"].str.startswith("extreme_amount")]
    assert not record_level["keys"].str.startswith(f"village={village},").any()
    log = run.read("results/baseline/cleaning_log.csv")
    rescaled = log[log["rule"] == "village_rescaled"]
    assert rescaled["keys"].str.startswith(f"village={village},").all() and len(rescaled) > 300
    assert rescaled["reason"].str.endswith("(cleaning.village_amount_scale: rescale)").all()
    assert f"village {village}: food amounts" in run.logs


def test_zero_width_spaces_and_stata_missing_values_are_read_and_logged(round_two_run):
    run = round_two_run
    assert "scheme_other (INS2_OTHER): zero-width characters removed from 33 answer(s)" in run.logs
    person = run.read("results/baseline/clean/person.parquet")
    assert not person["scheme_other"].dropna().str.contains("\u200b").any()
    log = run.read("results/baseline/cleaning_log.csv")
    stata = log[(log["rule"] == "dk_refused_to_missing") & (log["variable"] == "sought")]
    assert (
        sorted(stata["old_value"])
        == ["." + x for x in ["a (not applicable)"] * 5] + [".b (not asked)"] * 3
    )
