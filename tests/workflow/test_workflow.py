"""The whole workflow on the demo data, run in a copy of the repository.

These tests run Snakemake for real (about 20-30 s per run): the report is built, a second
`snakemake -n` has nothing to do, editing a library module reruns the rules that use it, no
personal identifier reaches results/, the planted data errors are found, the headline
intervals cover the simulated population's truth, and two runs are byte-identical.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml
from demo_config import catalogue, catalogue_ids, config, headline_ids, require_ids
from testpaths import REPO
from workflow_tools import copy_repo, feature_config, snakemake

DEMO = REPO / "raw" / "demo" / "baseline"

pytestmark = pytest.mark.slow


def test_report_and_tables_are_built(demo_run):
    assert (demo_run / "results/report/baseline.html").stat().st_size > 10_000
    ind = pd.read_csv(demo_run / "results/baseline/indicators.csv")
    assert list(ind.columns) == [
        "indicator",
        "domain",
        "level",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "df",
        "deff",
        "n_unweighted",
        "n_weighted",
        "flag",
        "precision",
        "precision_note",
    ]
    # every indicator of the catalogue (config/indicators.yaml), and nothing else
    assert set(ind["indicator"]) == set(catalogue_ids())
    recon = pd.read_csv(demo_run / "results/baseline/row_counts.csv")
    assert recon["reconciles"].all() and (recon["raw"] == recon["clean"] + recon["excluded"]).all()


# A line of the project's (or a library's) Python logging, as opposed to Snakemake's own.
LOGGED = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: ")


def test_a_clean_run_is_quiet(demo_run):
    """Issue 26, "Quiet by default": the console of a clean demo run (the session's run) has
    no fontTools INFO line, no ResourceWarning, no traceback or bare `raise` line, and at most
    a few dozen lines beyond Snakemake's own (the rule logs keep the INFO messages)."""
    lines = (demo_run.parent / "console.txt").read_text(encoding="utf-8").splitlines()
    counts = {
        "INFO fontTools": sum("INFO fontTools" in ln for ln in lines),
        "ResourceWarning": sum("ResourceWarning" in ln for ln in lines),
        "Traceback": sum("Traceback" in ln for ln in lines),
        "bare raise": sum(bool(re.match(r"^\s*raise\b", ln)) for ln in lines),
    }
    assert counts == dict.fromkeys(counts, 0), counts
    logged = [ln for ln in lines if LOGGED.match(ln)]
    assert len(logged) <= 30, "\n".join(logged)
    # the INFO messages are in the rule logs
    log = (demo_run / "results/logs/ingest_round/baseline.log").read_text(encoding="utf-8")
    assert "INFO hhsurvey.survey.io: person: 1453 rows" in log


def test_nothing_to_do_then_library_edit_reruns_dependants(demo_run):
    out = snakemake(demo_run, "-n", "--cores", "1")
    assert "Nothing to be done" in out.stdout + out.stderr
    lib = demo_run / "scripts" / "hhsurvey" / "prepare" / "weights.py"
    original = lib.read_bytes()
    try:
        # Snakemake compares content checksums, so the edit must change the text
        lib.write_bytes(original + b"\n# an edit\n")
        plan = snakemake(demo_run, "-n", "--cores", "1").stdout
        assert (
            "compute_weights" in plan and "estimate_indicators" in plan and "render_report" in plan
        )
        assert "ingest_round" not in plan and "clean_round" not in plan
    finally:
        lib.write_bytes(original)
    again = snakemake(demo_run, "-n", "--cores", "1")
    assert "Nothing to be done" in again.stdout + again.stderr


def _pii() -> tuple[list[str], np.ndarray]:
    """Names and phone numbers (text) and GPS coordinates (numbers) of the demo households."""
    df, _ = pyreadstat.read_sav(str(DEMO / "hh.sav"))
    texts: set[str] = set()
    for col in ("HH_HEAD_NAME", "HH_PHONE"):
        texts |= {str(v).strip() for v in df[col].dropna() if len(str(v).strip()) >= 6}
    coords = np.concatenate([df["GPS_LAT"].dropna().to_numpy(), df["GPS_LON"].dropna().to_numpy()])
    return sorted(texts), coords


def _texts(path: Path) -> list[str]:
    """Every text a results file holds, decoded (Parquet and XLSX are compressed)."""
    if path.suffix == ".parquet":
        return [pd.read_parquet(path).astype(str).to_csv()]
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
    return [path.read_bytes().decode("utf-8", "replace")]


def _numbers(path: Path) -> np.ndarray:
    """Every numeric cell of a tabular results file (Parquet, CSV)."""
    df = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, low_memory=False)
    num = df.select_dtypes("number")
    return num.to_numpy(dtype="float64").ravel() if num.size else np.empty(0)


def test_no_personal_identifier_reaches_results(demo_run):
    texts, coords = _pii()
    assert len(texts) > 100 and len(coords) > 100  # the demo households' identifiers
    hits = []
    for path in sorted((demo_run / "results").rglob("*")):
        if not path.is_file():
            continue
        blob = "\n".join(_texts(path))
        hits += [(str(path.relative_to(demo_run)), v) for v in texts if v in blob]
        # coordinates: as full-precision numbers in any table (figures hold many short
        # decimals, so a 4-decimal text match would be meaningless there)
        if path.suffix in (".parquet", ".csv"):
            found = np.isin(_numbers(path), coords)
            hits += [(str(path.relative_to(demo_run)), "GPS value")] if found.any() else []
    assert hits == []


def test_planted_errors_are_each_found_by_a_named_check(demo_run):
    planted = pd.read_csv(DEMO / "planted_errors.csv")
    found = pd.read_csv(demo_run / "results/baseline/validation.csv")
    for err in planted.itertuples():
        keys = dict(kv.split("=") for kv in err.keys.split(";"))
        want = f"village={keys['HH1']}, hh={keys['HH2']}"
        rows = found[
            found["check"].str.startswith(err.expected_check) & found["keys"].str.startswith(want)
        ]
        assert len(rows) >= 1, (
            f"{err.error_id} ({err.description}) not found by {err.expected_check}"
        )


def test_headline_intervals_cover_the_simulated_truth(demo_run):
    headline = headline_ids()
    truth = pd.read_csv(DEMO / "truth.csv").set_index("indicator")["value"]
    ind = pd.read_csv(demo_run / "results/baseline/indicators.csv")
    tot = ind[ind["domain"] == "total"].set_index("indicator")
    checked = [i for i in headline if i in truth.index]
    assert len(checked) >= 12
    missed = [
        (i, truth[i], tot.loc[i, "ci_low"], tot.loc[i, "ci_high"])
        for i in checked
        if not tot.loc[i, "ci_low"] <= truth[i] <= tot.loc[i, "ci_high"]
    ]
    assert missed == []


def test_index_intervals_lie_in_their_range(demo_run):
    ranges = {e["id"]: e["range"] for e in catalogue() if e["unit"] == "index"}
    ind = pd.read_csv(demo_run / "results/baseline/indicators.csv")
    rows = ind[ind["indicator"].isin(ranges) & ind["ci_low"].notna()]
    assert set(rows["indicator"]) == set(ranges)
    low = rows["indicator"].map(lambda i: ranges[i][0])
    high = rows["indicator"].map(lambda i: ranges[i][1])
    assert ((rows["ci_low"] >= low) & (rows["ci_high"] <= high)).all()


def test_two_runs_are_byte_identical(demo_run, tmp_path):
    other = copy_repo(tmp_path / "repo")
    snakemake(other, "--cores", "2")

    def files(root: Path) -> dict[str, bytes]:
        res = root / "results"
        return {
            str(p.relative_to(res)): p.read_bytes()
            for p in sorted(res.rglob("*"))
            if p.is_file() and not {"logs", "benchmarks"} & set(p.relative_to(res).parts)
        }

    a, b = files(demo_run), files(other)
    assert sorted(a) == sorted(b)
    differ = [k for k in a if a[k] != b[k]]
    assert differ == []


def test_new_catalogue_indicator_appears_without_code_change(demo_run, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(demo_run, work)
    cat_path = work / "config/indicators.yaml"
    doc = yaml.safe_load(cat_path.read_text())
    doc["indicators"].append(
        {
            "id": "chronic_illness",
            "label": "Chronic illness or disability",
            "unit": "percent",
            "unit_of_analysis": "person",
            "definition": "chronic == 'yes'",
            "estimator": "proportion",
            "by": ["sex"],
            "standard": "test entry",
        }
    )
    cat_path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    # the HTML report is the target (its PDF and the briefs add nothing to this check)
    snakemake(work, "--cores", "2", "results/report/baseline.html")
    ind = pd.read_csv(work / "results/baseline/indicators.csv")
    rows = ind[ind["indicator"] == "chronic_illness"]
    assert set(rows["domain"]) == {"total", "sex"} and rows["estimate"].between(0, 1).all()
    html = (work / "results/report/baseline.html").read_text(encoding="utf-8")
    assert "Chronic illness or disability" in html


def test_unknown_config_key_is_rejected_before_any_rule(demo_run):
    bad = feature_config("bad/unknown_key.yaml")  # design.lonley_psu
    out = snakemake(demo_run, "-n", "--cores", "1", "--configfile", bad, check=False)
    assert out.returncode != 0
    assert "lonley_psu" in out.stdout + out.stderr


def test_raw_files_are_never_modified(demo_run):
    # the run read raw/ of its copy; compare with the repository's files byte for byte
    for p in sorted((REPO / "raw").rglob("*")):
        if p.is_file():
            assert (demo_run / p.relative_to(REPO)).read_bytes() == p.read_bytes(), p


def test_simulate_demo_rule_regenerates_the_committed_files(tmp_path):
    root = copy_repo(tmp_path / "repo")
    snakemake(root, "simulate_demo", "--cores", "1")
    manifest = (root / "results/simulate/demo_manifest.txt").read_text().splitlines()
    assert len(manifest) >= 2 * 9
    for rel in ("raw/demo/baseline", "raw/demo/endline"):
        for p in sorted((REPO / rel).iterdir()):
            assert (root / rel / p.name).read_bytes() == p.read_bytes(), p


def test_demo_weights_reproduce_frame_and_population(demo_run):
    """Weighted totals against the design and the simulated population (issue 4)."""
    from hhsurvey.engine.design import SurveyDesign

    w = pd.read_parquet(demo_run / "results/baseline/weights.parquet")
    hh = pd.read_parquet(demo_run / "results/baseline/households.parquet")
    truth = pd.read_csv(DEMO / "truth.csv").set_index("indicator")["value"]
    # non-response adjustment redistributes exactly the eligible design weight of each stratum
    elig = w.loc[w["eligible"]].groupby("area", observed=True)["design_weight"].sum()
    resp = w.groupby("area", observed=True)["weight"].sum()
    np.testing.assert_allclose(resp[elig.index].to_numpy(), elig.to_numpy(), rtol=1e-12)
    # the design-weighted count of sampled dwellings estimates the district's households,
    # and the weighted roster its population: both within sampling error of the truth
    dw = SurveyDesign(w.assign(one=1.0), weight="design_weight", strata="area", psu="village")
    households = dw.total("one").iloc[0]
    assert abs(households["estimate"] - truth["population_households"]) < 2.5 * households["se"]
    persons = (
        SurveyDesign(hh, weight="weight", strata="area", psu="village").total("hhsize").iloc[0]
    )
    assert abs(persons["estimate"] - truth["population_persons"]) < 2.5 * persons["se"]


def test_catalogue_is_schema_validated_before_any_rule(demo_run, tmp_path):
    doc = yaml.safe_load((REPO / "config/indicators.yaml").read_text())
    doc["indicators"][0]["unit"] = "percentage"
    # inside the repository's config/ (a catalogue elsewhere is refused by the fence first)
    bad = demo_run / "config" / "bad_indicators.yaml"
    bad.write_text(yaml.safe_dump(doc, allow_unicode=True))
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump({"indicators": {"catalogue": "config/bad_indicators.yaml"}}))
    try:
        out = snakemake(demo_run, "-n", "--cores", "1", "--configfile", str(cfg), check=False)
    finally:
        bad.unlink()
    assert out.returncode != 0
    assert "'percentage' is not one of" in out.stdout + out.stderr


def test_intervals_respect_the_support_and_rare_events_are_flagged(demo_run):
    """Issue 13: no amount indicator has ci_low < 0; no proportion estimated at 0 has
    ci_high = 0 (Korn-Graubard). Issue 23: the NCHS 2017 standard as published has no
    relative-SE criterion for proportions, so catastrophic spending above 25 % (six
    households above the threshold, relative SE about 40 %, a Korn-Graubard interval about 3
    points wide) is presented without the flag; an amount with a relative SE above 30 % is."""
    ind = pd.read_csv(
        demo_run / "results" / "baseline" / "indicators.csv", keep_default_na=False, na_values=[""]
    )
    cat = catalogue()
    unit = {e["id"]: e["unit"] for e in cat}
    estimator = {e["id"]: e["estimator"] for e in cat}
    amounts = ind[ind["indicator"].map(unit).isin(["lak", "rate", "per_1000", "nights"])]
    assert len(amounts) > 50 and not (amounts["ci_low"] < 0).any()
    proportion = ind["indicator"].map(estimator).eq("proportion") | (
        ind["indicator"].map(estimator).eq("composite") & ind["indicator"].map(unit).eq("percent")
    )
    at_zero = ind[proportion & ind["estimate"].eq(0) & ind["ci_high"].notna()]
    assert len(at_zero) > 5 and (at_zero["ci_high"] > 0).all()
    require_ids("che_sdg_25")  # the worked example of a rare event
    che25 = ind[(ind["indicator"] == "che_sdg_25") & (ind["domain"] == "total")].iloc[0]
    assert che25["se"] / che25["estimate"] > 0.30 and che25["ci_high"] - che25["ci_low"] < 0.05
    assert che25["precision"] != "low" and "relative standard error" not in str(
        che25["precision_note"]
    )
    props = ind[proportion & ind["precision_note"].notna()]
    assert not props["precision_note"].str.contains("relative standard error").any()
    rse = ind[~proportion & ind["precision_note"].fillna("").str.contains("relative standard")]
    assert len(rse) > 10 and (rse["precision"] == "low").all()
    assert set(ind["precision"].fillna("")) <= {"", "low", "not estimable"}


# ------------------------------------------------------------------------ claims (issue 23)


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def test_six_headline_indicators_equal_r_with_the_certainty_village_as_its_own_stratum(
    demo_run,
):
    """Issue 23 "Certainty PSU": the demo's indicators.csv (the workflow with
    design.certainty_own_stratum on by default) equals R's survey on the certainty village as a
    stratum of its households (tests/fixtures/r/make_golden_claims.R: svyciprop(method='logit')
    and svymean, svydesign(ids=~psu, strata=~stratum, weights=~w, nest=TRUE))."""
    golden = json.loads((REPO / "tests/fixtures/r/golden_claims.json").read_text())
    ind = _csv(demo_run / "results/baseline/indicators.csv")
    tot = ind[ind["domain"] == "total"].set_index("indicator")
    six = [e["id"] for e in sorted(catalogue(), key=lambda e: e.get("key_rank") or 99)][:6]
    assert set(six) == set(list(golden)[:6])
    for iid in six:
        r, want = tot.loc[iid], golden[iid]
        assert r["estimate"] == pytest.approx(want["estimate"][0], rel=1e-9), want["call"]
        assert r["se"] == pytest.approx(want["se"][0], rel=1e-8), want["call"]
        assert r["ci_low"] == pytest.approx(want["ci_low"][0], rel=1e-7), want["call"]
        assert r["ci_high"] == pytest.approx(want["ci_high"][0], rel=1e-7), want["call"]
        assert r["df"] == want["df"][0]


def test_structural_zero_reads_not_applicable_in_csv_table_and_chart(demo_run):
    """Issue 23 "Structural zeros": everyone in the poorest fifth is below the national line
    before paying for care (checked on the household frame), so impoverishment there is
    impossible: "not applicable" in indicators.csv, in the report's table and in the chart."""
    hh = pd.read_parquet(demo_run / "results/baseline/frames/household.parquet")
    q1 = hh[hh["quintile"].astype(str) == "1"]
    assert len(q1) > 25 and (q1["pc_total"] < q1["pl_national"]).all()
    ind = _csv(demo_run / "results/baseline/indicators.csv")
    row = ind[
        (ind["indicator"] == "impoverished_national")
        & (ind["domain"] == "quintile")
        & (ind["level"].astype(str) == "1")
    ].iloc[0]
    assert row["flag"] == "not applicable" and np.isnan(row["estimate"])
    assert np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])
    html = (demo_run / "results/report/baseline.html").read_text(encoding="utf-8")
    start = html.index('id="by-impoverished_national"')
    table = html[start : html.index("</table>", start)]
    q1_row = table[table.index("1 (poorest)") :]
    q1_row = q1_row[: q1_row.index("</tr>")]
    assert "not applicable" in q1_row and "no case observed" not in q1_row
    svg = (demo_run / "results/baseline/figures/quintile_gradient.svg").read_text()
    assert "<!-- n/a -->" in svg


def test_key_messages_state_tested_differences_with_their_ci(demo_run):
    """Issue 23 "Tested differences": every key message stating a difference (brief and the
    report's executive summary) is a significant row of differences.csv after the adjustment,
    with its difference and CI; no page states the overlap rule."""
    diffs = _csv(demo_run / "results/baseline/differences.csv")
    pages = {
        p.name: p.read_text(encoding="utf-8")
        for p in (demo_run / "results/report").glob("baseline*.html")
    }
    assert {"baseline.html", "baseline_brief_en.html"} <= set(pages)
    for name, html in pages.items():
        assert "do not overlap" not in html and "intervals overlap" not in html, name
    brief = pages["baseline_brief_en.html"]
    stated = re.findall(
        r'<li data-rule="(quintile_gradient|insurance_gap)" data-indicator="([^"]+)">(.*?)</li>',
        brief,
    )
    assert stated, "the demo baseline has significant differences to state"
    by_of = {"quintile_gradient": "quintile", "insurance_gap": "insured_status"}
    for rule, iid, text in stated:
        r = diffs[(diffs["indicator"] == iid) & (diffs["by"] == by_of[rule])].iloc[0]
        assert bool(r["significant"]) and r["p_adjusted"] < 0.05
        lo, hi = sorted((abs(r["ci_low"]), abs(r["ci_high"])))
        assert f"{100 * abs(r['difference']):.1f} percentage points" in text, text
        assert f"95% CI {100 * lo:.1f} to {100 * hi:.1f}" in text, text
        # the same message in the report's executive summary
        assert html_text(text) in html_text(pages["baseline.html"])
    # no pair that is not significant after the adjustment is stated
    said = {(iid, by_of[rule]) for rule, iid, _ in stated}
    quiet = diffs[~diffs["significant"].astype(bool)]
    assert len(quiet) >= 3
    assert not said & set(zip(quiet["indicator"], quiet["by"], strict=True))


def html_text(html: str) -> str:
    import html as h

    return re.sub(r"\s+", " ", h.unescape(re.sub(r"<[^>]+>", "", html))).strip()


def test_methods_name_the_family_and_the_multiplicity_method(demo_run):
    html = (demo_run / "results/report/baseline.html").read_text(encoding="utf-8")
    methods = html_text(html[html.index("Differences between groups.") :][:3000])
    fam = config()["differences"]["families"][0]
    diffs = _csv(demo_run / "results/baseline/differences.csv")
    n = int(diffs["p_value"].notna().sum())
    assert f"“{fam['label']}”, {n} tests" in methods
    assert "Benjamini-Hochberg" in methods and "svycontrast" in methods
    brief = html_text((demo_run / "results/report/baseline_brief_en.html").read_text("utf-8"))
    assert f"Benjamini-Hochberg adjustment for the {n} differences screened" in brief


def test_no_verdict_against_an_administrative_figure(demo_run):
    """Issue 23 "Verdicts": administrative rows read "for context only" in the comparison
    table and the report; the brief sets no national figure beside the district's."""
    cmp = _csv(demo_run / "results/baseline/national_comparison.csv")
    admin = cmp[cmp["source_type"] == "administrative"]
    assert len(admin) >= 5 and (admin["verdict"] == "for context only").all()
    assert cmp["verdict"].isin(["for context only", "no national figure"]).all()
    html = html_text((demo_run / "results/report/baseline.html").read_text("utf-8"))
    assert "higher than national" not in html and "lower than national" not in html
    brief = (demo_run / "results/report/baseline_brief_en.html").read_text("utf-8")
    assert 'id="national-none"' in brief and 'id="national"' not in brief


def test_weighted_total_gap_is_a_validation_warning_and_a_note(demo_run):
    """The demo's weights add up to 9.5 % more households than the frame's census counts."""
    diag = _csv(demo_run / "results/baseline/weights_diagnostics.csv")
    val = diag[diag["scope"] == "overall"].set_index("measure")["value"]
    gap = val["weighted_households"] / val["frame_households_census"] - 1
    assert gap == pytest.approx(0.095, abs=0.001)
    found = _csv(demo_run / "results/baseline/validation.csv")
    row = found[found["check"] == "weighted_total_vs_frame"]
    assert len(row) == 1 and row["severity"].iloc[0] == "warning"
    assert f"{gap:+.1%}" in row["value"].iloc[0]
    html = html_text((demo_run / "results/report/baseline.html").read_text("utf-8"))
    assert f"{100 * gap:.1f} % above the" in html
