"""Evaluators' path: baseline + endline rounds, harmonised by codebooks, and the change."""

import math
import re

import pandas as pd
import pyreadstat
import pytest
import yaml
from scipy import stats
from testpaths import REPO
from workflow_tools import copy_repo, feature_config, snakemake

pytestmark = pytest.mark.slow


def _read(path) -> pd.DataFrame:
    """A result CSV as the outputs read it: blank cells missing, flags as text."""
    df = pd.read_csv(path, keep_default_na=False, na_values=[""])
    for c in ("flag", "precision", "baseline_flag", "endline_flag"):
        if c in df:
            df[c] = df[c].fillna("").astype(str)
    return df


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
    # a change resting on a suppressed estimate is not published (no df either): issue 23
    published = ~change["flag"].isin(["suppressed", "not applicable"])
    linear = change[change["method"].str.startswith("linearised") & published]
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
    # by hand for the area rows of an indicator of all persons: the PSUs of the area in both
    # rounds minus their round x stratum strata. A village selected with certainty (the
    # baseline's urban village with pi1 = 1) is a stratum of its own whose PSUs are its
    # households (design.certainty_own_stratum): counted from the weights, not the frames
    for area in ("urban", "rural"):
        df_hand = 0
        for r in ("baseline", "endline"):
            w = pd.read_parquet(endline_run / f"results/{r}/weights.parquet")
            w = w.loc[(w["area"] == area) & w["responding"]]
            cert = w["pi1"] >= 1
            villages = w.loc[~cert, "village"].nunique()
            households = int(cert.sum())
            strata = int(villages > 0) + w.loc[cert, "village"].nunique()
            df_hand += villages + households - strata
        row = linear[(linear["indicator"] == "illness_30d") & (linear["level"] == area)]
        assert row["df"].tolist() == [df_hand], area
    # the baseline's certainty village: 6 other urban villages + 14 households - 2 strata = 18
    base = pd.read_parquet(endline_run / "results/baseline/weights.parquet")
    assert base.loc[base["pi1"] >= 1, "village"].nunique() == 1
    assert linear.query("domain == 'area'")["df"].max() < linear["df"].max()


def test_endline_and_change_documents_print_as_a_reader_needs(endline_run):
    """Issue 24: the endline report, its briefs and summaries, the change report and its Lao
    summary are printed by the workflow; every page carries its number and the simulated
    mark, the contents' page numbers match, links open files beside the PDF, and no page
    holds a machine artefact."""
    from printed import (
        artefacts,
        broken_links,
        caption_stubs,
        furniture_problems,
        toc_mismatches,
    )

    folder = endline_run / "results/report"
    pdfs = sorted(p for p in folder.glob("*.pdf") if p.name.startswith(("endline", "change")))
    names = {p.name for p in pdfs}
    assert {"endline.pdf", "endline_brief_en.pdf", "endline_brief_lo.pdf",
            "endline_summary_lo.pdf", "change.pdf", "change_summary_lo.pdf"} <= names  # fmt: skip
    for pdf in pdfs:
        assert furniture_problems(pdf, simulated=True) == [], pdf.name
        assert artefacts(pdf) == [], pdf.name
        assert broken_links(pdf) == [], pdf.name
    for name in ("endline", "change"):
        html = (folder / f"{name}.html").read_text(encoding="utf-8")
        assert toc_mismatches(folder / f"{name}.pdf", html) == [], name
        assert caption_stubs(folder / f"{name}.pdf", html) == [], name
    for name in ("changes.csv", "changes.xlsx", "configuration.csv", "inputs.csv"):
        assert (folder / "change_files" / name).is_file(), name


# ------------------------------------------------------------------------ claims (issue 23)


def _catalogue() -> dict[str, dict]:
    doc = yaml.safe_load((REPO / "config" / "indicators.yaml").read_text(encoding="utf-8"))
    return {e["id"]: e for e in doc["indicators"]}


def _support(entry: dict | None) -> tuple[float, float]:
    """The values a quantity can take, from what it is (its catalogue unit): a percentage is a
    proportion or a share in [0, 1]; an amount, rate or count is >= 0; an index lies in its
    range; a difference of shares (percentage points) is signed unless declared non-negative."""
    if entry is None:
        return (-math.inf, math.inf)
    declared = {"proportion": (0.0, 1.0), "non_negative": (0.0, math.inf)}
    if entry.get("support"):
        return declared.get(entry["support"], (-math.inf, math.inf))
    if entry["estimator"] == "proportion" or entry["unit"] == "percent":
        return (0.0, 1.0)
    if entry["unit"] == "index":
        return tuple(entry["range"])
    if entry["unit"] == "percentage_points":
        return (-math.inf, math.inf)
    return (0.0, math.inf)


def _check_bounds(table: pd.DataFrame, lo: str, hi: str, bounds: pd.Series, where: str) -> int:
    """Every interval (lo, hi) of the table lies in its row's bounds and has a positive width;
    the number of intervals checked."""
    both = table[lo].notna() & table[hi].notna()
    rows = table.loc[both]
    b = bounds.loc[both]
    low = b.map(lambda x: x[0]).astype(float)
    high = b.map(lambda x: x[1]).astype(float)
    outside = rows.loc[(rows[lo] < low - 1e-12) | (rows[hi] > high + 1e-12)]
    assert outside.empty, f"{where}: bounds outside the support\n{outside.head()}"
    flat = rows.loc[~(rows[hi] > rows[lo])]
    assert flat.empty, f"{where}: zero-width interval\n{flat.head()}"
    return int(both.sum())


def test_every_interval_of_every_csv_respects_its_support_and_has_width(endline_run):
    """Issue 23 "Intervals": across every CSV of the endline demo run (indicators, national
    comparison, differences of each round, the change, the scenarios) no bound falls outside
    its quantity's support and no interval has zero width."""
    cat = _catalogue()
    checked = 0
    for rnd in ("baseline", "endline"):
        res = endline_run / "results" / rnd
        ind = _read(res / "indicators.csv")
        checked += _check_bounds(ind, "ci_low", "ci_high", ind["indicator"].map(
            lambda i: _support(cat.get(i))), f"{rnd}/indicators.csv")  # fmt: skip
        cmp = _read(res / "national_comparison.csv")
        checked += _check_bounds(cmp, "ci_low", "ci_high", cmp["indicator"].map(
            lambda i: _support(cat.get(i))), f"{rnd}/national_comparison.csv")  # fmt: skip
        diff = _read(res / "differences.csv")
        free = pd.Series([(-math.inf, math.inf)] * len(diff), index=diff.index)
        checked += _check_bounds(diff, "ci_low", "ci_high", free, f"{rnd}/differences.csv")
        sc = _read(res / "scenarios.csv")
        kind = {"change": (0.0, math.inf), "cost": (0.0, math.inf), "incidence": (0.0, 1.0)}
        bounds = pd.Series(
            [
                kind.get(m) or _support(cat.get(i))
                for m, i in zip(sc["measure"], sc["indicator"], strict=True)
            ],
            index=sc.index,
        )
        checked += _check_bounds(sc, "ci_low", "ci_high", bounds, f"{rnd}/scenarios.csv")
        # a row without an interval is flagged: not estimable, structural zero, suppressed
        # or without a design degree of freedom
        for t in (ind, sc):
            bare = t.loc[t["estimate"].notna() & t["ci_low"].isna()]
            assert (
                (bare["precision"] == "not estimable") | (bare["flag"] != "") | ~(bare["df"] > 0)
            ).all(), bare.head()
    change = _read(endline_run / "results/change/indicators_change.csv")
    for role in ("baseline", "endline"):
        bounds = change["indicator"].map(lambda i: _support(cat.get(i)))
        lo, hi = f"{role}_ci_low", f"{role}_ci_high"
        checked += _check_bounds(change, lo, hi, bounds, f"change ({role})")
    free = pd.Series([(-math.inf, math.inf)] * len(change), index=change.index)
    checked += _check_bounds(change, "ci_low", "ci_high", free, "change")
    assert checked > 2000


#: A printed interval "a–b" or "a to b" (percent sign, thousands separators, signs allowed).
PRINTED = re.compile(
    r"(?<![\w.,\-+])([-+]?\d[\d,]*(?:\.\d+)?)\s*(?:\u00a0?%)?\s*(?:\u2013|to)\s*"
    r"([-+]?\d[\d,]*(?:\.\d+)?)(?!\d)"
)


def test_no_printed_interval_has_zero_width(endline_run):
    seen = 0
    for page in sorted((endline_run / "results/report").glob("*_en.html")) + [
        endline_run / f"results/report/{n}.html" for n in ("baseline", "endline", "change")
    ]:
        text = re.sub(r"data:[^\"']+", "", page.read_text(encoding="utf-8"))
        pairs = PRINTED.findall(text)
        seen += len(pairs)
        flat = [p for p in pairs if p[0].lstrip("+") == p[1].lstrip("+")]
        assert flat == [], (page.name, flat[:5])
    assert seen > 1000


def test_change_csv_carries_flags_and_a_suppressed_estimate_hides_the_change(endline_run):
    """Issue 23 "Flags": flag columns, checked against each round's published flags."""
    change = _read(endline_run / "results/change/indicators_change.csv")
    for col in ("baseline_flag", "endline_flag", "flag", "precision", "precision_note", "mdc"):
        assert col in change.columns
    for role in ("baseline", "endline"):
        ind = _read(endline_run / f"results/{role}/indicators.csv")
        flags = ind.set_index(["indicator", "domain", "level"])["flag"]
        keys = list(
            zip(change["indicator"], change["domain"], change["level"].astype(str), strict=True)
        )
        assert change[f"{role}_flag"].tolist() == [flags.get(k, "") for k in keys]
    hidden = change.loc[
        (change["baseline_flag"] == "suppressed") | (change["endline_flag"] == "suppressed")
    ]
    assert len(hidden) >= 10 and (hidden["flag"] == "suppressed").all()
    assert hidden[["change", "se", "ci_low", "ci_high", "p_value"]].isna().all().all()
    assert not hidden["significant"].any()
    # the suppressed round's estimate is not published in the change table either
    base = hidden.loc[hidden["baseline_flag"] == "suppressed", "baseline"]
    assert base.isna().all()
    caution = change.loc[change["flag"] == "caution"]
    assert len(caution) >= 10 and caution["change"].notna().all()


def test_every_change_that_is_not_significant_carries_its_mdc(endline_run):
    """Issue 23 "Detectable change": in the CSV and in the change report; two rows by hand."""
    change = _read(endline_run / "results/change/indicators_change.csv")
    tested = change.loc[change["p_value"].notna()]
    quiet = tested.loc[~tested["significant"].astype(bool)]
    assert len(quiet) > 50 and quiet["mdc"].notna().all() and (quiet["mdc"] > 0).all()
    assert (
        tested.loc[tested["significant"].astype(bool) & tested["p_adjusted"].isna(), "mdc"]
        .isna()
        .all()
    )
    tot = change.loc[change["domain"] == "total"].set_index("indicator")
    # by hand: MDC = (t(0.975, df) + t(0.80, df)) x SE (80 % power, two-sided 5 %)
    for iid in ("che_sdg_10", "oop_annual_hh_mean"):
        r = tot.loc[iid]
        assert not r["significant"]
        hand = (stats.t.ppf(0.975, r["df"]) + stats.t.ppf(0.80, r["df"])) * r["se"]
        assert r["mdc"] == pytest.approx(hand, rel=1e-12)
    html = (endline_run / "results/report/change.html").read_text(encoding="utf-8")
    mdc = tot.loc["che_sdg_10", "mdc"]
    assert f"this survey could detect only a change of {100 * mdc:.1f} percentage points" in html
    assert "did not change significantly" not in html
    summary = html[html.index('<p class="summary-words">') :]
    summary = summary[: summary.index("</p>")]
    assert "is not evidence that nothing changed" in summary
    # every key indicator whose change is not significant after adjustment has its MDC there
    adj = tot.loc[tot["p_adjusted"].notna() & ~(tot["p_adjusted"] < 0.05)]
    assert len(adj) >= 8
    for r in adj.itertuples():
        assert f"{100 * r.mdc:.1f} percentage points" in summary or f"{r.mdc:,.0f} LAK" in summary


def test_the_lao_change_summary_speaks_lao_about_what_could_have_been_seen(endline_run):
    """The translated change summary carries the minimum detectable change of every headline
    change that is not significant, in the page's language (no English unit words), and never
    reads a non-significant change as "no change"."""
    html = (endline_run / "results/report/change_summary_lo.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", re.sub(r"data:[^\"']+", "", html))
    change = _read(endline_run / "results/change/indicators_change.csv")
    tot = change.loc[change["domain"] == "total"].set_index("indicator")
    quiet = tot.loc[tot["p_adjusted"].notna() & ~(tot["p_adjusted"] < 0.05)]
    assert len(quiet) >= 8
    for r in quiet.itertuples():  # Lao numbers: decimal comma, thousands point
        pp = f"{100 * r.mdc:.1f}".replace(".", ",") + " ຈຸດສ່ວນຮ້ອຍ"
        assert pp in text or f"{r.mdc:,.0f}".replace(",", ".") in text, r.Index
    assert "percentage points" not in text and "did not change" not in text
    # the impoverishment change rests on the assumed national line: its mark, in Lao
    assert "ການສົມມຸດ:" in text  # "ASSUMPTION:"
