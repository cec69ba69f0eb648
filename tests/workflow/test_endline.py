"""Evaluators' path: baseline + endline rounds, harmonised by codebooks, and the change."""

import re

import pandas as pd
import pyreadstat
import pytest
from testpaths import REPO
from workflow_tools import copy_repo, feature_config, snakemake

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def endline_run(tmp_path_factory):
    root = copy_repo(tmp_path_factory.mktemp("endline") / "repo")
    snakemake(root, "--cores", "2", "--configfile", "config/endline.yaml")
    return root


def test_reports_of_both_rounds_and_change_are_built(endline_run):
    for name in ("baseline", "endline"):
        assert (endline_run / f"results/report/{name}.html").exists()
    html = (endline_run / "results/report/change.html").read_text(encoding="utf-8")
    assert '<tr data-indicator="coverage_any" data-domain="total"' in html
    assert (endline_run / "results/change/figures/change_dumbbell.svg").exists()
    change = pd.read_csv(endline_run / "results/change/indicators_change.csv")
    assert {"coverage_any", "care_seeking", "che_sdg_10", "oop_annual_hh_mean"} <= set(
        change["indicator"]
    )
    # NHI is a canonical category of the endline only; the harmonised "any scheme" spans both
    end = pd.read_parquet(endline_run / "results/endline/clean/person.parquet")
    assert "nhi" in set(end["scheme"].dropna())
    nhi = {
        r: pd.read_csv(endline_run / f"results/{r}/indicators.csv")
        .query("indicator == 'coverage_nhi' and domain == 'total'")["estimate"]
        .iloc[0]
        for r in ("baseline", "endline")
    }
    # NHI replaced CBHI and HEF before the endline (simulated enrolment about 80 % of those
    # not covered by SASS/SSO); the baseline instrument has no NHI code
    assert nhi["baseline"] == 0 and nhi["endline"] > 0.5


def test_change_intervals_cover_the_true_change(endline_run):
    truth = pd.read_csv(REPO / "raw/demo/endline/truth.csv").set_index("indicator")["value"]
    change = pd.read_csv(endline_run / "results/change/indicators_change.csv")
    tot = change[change["domain"] == "total"].set_index("indicator")
    checked = [i for i in tot.index if f"change_{i}" in truth.index]
    assert len(checked) >= 12
    missed = [
        (i, truth[f"change_{i}"], tot.loc[i, "ci_low"], tot.loc[i, "ci_high"])
        for i in checked
        if not tot.loc[i, "ci_low"] <= truth[f"change_{i}"] <= tot.loc[i, "ci_high"]
    ]
    assert missed == []
    # the simulated NHI effect on coverage is large enough to be detected
    assert tot.loc["coverage_any", "significant"] and tot.loc["coverage_any", "change"] > 0.3


def test_renamed_variable_fails_with_codebook_line_then_codebook_fix_passes(tmp_path):
    root = copy_repo(tmp_path / "repo")
    # the endline analysed alone (no baseline, no change)
    endline_only = [
        feature_config("endline_round.yaml"),
        feature_config("analyse_endline_only.yaml"),
    ]
    persons = root / "raw/demo/endline/persons.sav"
    df, meta = pyreadstat.read_sav(str(persons), user_missing=True)
    df = df.rename(columns={"ILL30": "ILL_30D"})
    labels = {("ILL_30D" if k == "ILL30" else k): v for k, v in meta.variable_value_labels.items()}
    pyreadstat.write_sav(df, str(persons), variable_value_labels=labels)

    failed = snakemake(root, "--cores", "2", "--configfile", *endline_only, check=False)
    assert failed.returncode != 0
    log = (root / "results/logs/ingest_round/endline.log").read_text()
    codebook = (root / "config/codebooks/endline.yaml").read_text().splitlines()
    line = next(i for i, t in enumerate(codebook, 1) if "raw: ILL30" in t)
    assert "variable ILL30 (canonical person.ill_30d) is not in the file" in log
    assert f"endline.yaml line {line}" in log and "ILL_30D" in log
    assert "Traceback" not in log + failed.stderr
    assert not (root / "results/endline/indicators.csv").exists()

    cb = root / "config/codebooks/endline.yaml"
    cb.write_text(re.sub(r"raw: ILL30\b", "raw: ILL_30D", cb.read_text()))
    # the fixed codebook carries the round through to its estimates (the report is not needed)
    snakemake(root, "results/endline/indicators.csv", "--cores", "2", "--configfile", *endline_only)
    assert (root / "results/endline/indicators.csv").exists()


def test_change_df_counts_the_psus_of_each_domain(endline_run):
    """df of a change = PSUs holding the domain in either round minus their strata (R's
    degf(subset(stacked, domain))), never the df of the whole stacked design."""
    change = pd.read_csv(endline_run / "results/change/indicators_change.csv")
    linear = change[change["method"].str.startswith("linearised")]
    assert len(linear) > 50
    df = {
        r: pd.read_csv(
            endline_run / f"results/{r}/indicators.csv", keep_default_na=False, na_values=[""]
        ).set_index(["indicator", "domain", "level"])["df"]
        for r in ("baseline", "endline")
    }
    # independent rounds (strata round x area): the domain's PSUs - strata of the baseline plus
    # those of the endline, as each round's own table counts them
    keys = list(zip(linear["indicator"], linear["domain"], linear["level"], strict=True))
    want = [df["baseline"][k] + df["endline"][k] for k in keys]
    assert linear["df"].tolist() == want
    # by hand for the area rows of an indicator of all persons: villages of the area in both
    # rounds minus the two round x area strata
    for area in ("urban", "rural"):
        frames = [
            pd.read_parquet(endline_run / f"results/{r}/frames/person.parquet")
            for r in ("baseline", "endline")
        ]
        villages = sum(f.loc[f["area"] == area, "village"].nunique() for f in frames)
        row = linear[(linear["indicator"] == "illness_30d") & (linear["level"] == area)]
        assert row["df"].tolist() == [villages - 2]
    assert linear.query("domain == 'area'")["df"].max() < linear["df"].max()
