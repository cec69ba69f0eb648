"""Tests of hhsurvey.analysis.compare and of the national reference table raw/reference/national_lao.csv."""

from __future__ import annotations

import csv
import math
import os
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from testpaths import REPO

from hhsurvey.analysis.compare import (
    COMPARISON_COLUMNS,
    NATIONAL_DTYPES,
    compare_national,
    load_national,
)
from hhsurvey.catalogue.national import INDICATOR_UNITS

ROOT = REPO
NATIONAL_CSV = ROOT / "raw" / "reference" / "national_lao.csv"
SHARED_FIGURES = Path("/work/shared/reference/NATIONAL_FIGURES.md")
SNAPSHOT_FIGURES = ROOT / "tests" / "fixtures" / "compare" / "NATIONAL_FIGURES.md"
NAN = math.nan


def figures_md() -> Path:
    """The source of every national figure: env override, shared copy, else the test snapshot."""
    if os.environ.get("HHSURVEY_NATIONAL_FIGURES"):
        return Path(os.environ["HHSURVEY_NATIONAL_FIGURES"])
    return SHARED_FIGURES if SHARED_FIGURES.exists() else SNAPSHOT_FIGURES


# --------------------------------------------------------------------------- fixtures


def _ind(indicator, estimate, se, lo, hi, df, flag="", domain="total", level="total"):
    return dict(
        indicator=indicator,
        domain=domain,
        level=level,
        estimate=estimate,
        se=se,
        ci_low=lo,
        ci_high=hi,
        df=df,
        deff=1.2,
        n_unweighted=300,
        n_weighted=1500.0,
        flag=flag,
    )


@pytest.fixture
def indicators() -> pd.DataFrame:
    rows = [
        _ind("coverage_any", 0.40, 0.03, 0.34, 0.46, 29),
        # A domain row must be ignored: only the overall row is compared.
        _ind("coverage_any", 0.90, 0.05, 0.80, 0.99, 29, domain="area", level="urban"),
        _ind("care_seeking", 0.50, 0.05, 0.40, 0.60, 29, flag="caution"),
        _ind("skilled_birth_attendance", 0.70, 0.10, 0.50, 0.90, 29, flag="suppressed"),
        _ind("illness_30d", 0.20, 0.02, 0.16, 0.24, 29),
        _ind("che_sdg_10", 0.12, 0.02, 0.08, 0.16, 29),
        _ind("oop_budget_share_mean", 0.05, 0.01, 0.03, 0.07, 29),
        # SE known on both sides: z-test (df missing) and t-tests (df = 1, df = 2).
        _ind("poverty_headcount_pre", 0.30, 0.03, 0.24, 0.36, NAN),
        _ind("coverage_cbhi", 0.10, 0.03, 0.04, 0.16, 1),
        _ind("coverage_hef", 0.15, 0.03, 0.09, 0.21, 2),
        _ind("coverage_sso", 0.30, 0.006, 0.29, 0.31, NAN),
        _ind("coverage_sass", 0.10, 0.006, 0.09, 0.11, NAN),
        _ind("admissions_per_1000", 40.0, 2.5, 35.0, 45.0, 29),
        _ind("institutional_delivery", 0.6, 0.2, 0.2, 1.0, 29, flag="suppressed"),
    ]
    return pd.DataFrame(rows).astype({"flag": "str", "indicator": "str", "domain": "str"})


def _nat(
    cid,
    indicator,
    value,
    unit="fraction",
    se=NAN,
    rnd="baseline",
    comp="comparable",
    uncertain=False,
    year="2013",
    note="note",
    kind="survey",
    ci=(NAN, NAN),
):
    return dict(
        comparator_id=cid,
        indicator=indicator,
        national_label=f"label {cid}",
        value=value,
        unit=unit,
        se=se,
        ci_low=ci[0],
        ci_high=ci[1],
        year=year,
        source=f"source {cid}",
        read_in=f"copy {cid}",
        table_page=f"table {cid}",
        definition_note=note,
        comparability=comp,
        round=rnd,
        uncertain=uncertain,
        source_type=kind,
    )


@pytest.fixture
def national() -> pd.DataFrame:
    rows = [
        # a survey figure with the same definition but no published SE or CI: no verdict
        _nat("cov_low", "coverage_any", 0.275, note="no margin of error published"),
        # an administrative figure, even with an SE: no verdict
        _nat("cov_admin", "coverage_any", 0.42, se=0.001, kind="administrative"),
        # a survey figure with a published CI only: its SE is the half-width / z(0.975)
        _nat("cov_ci", "coverage_any", 0.50, ci=(0.46, 0.54)),
        _nat("care_old", "care_seeking", 0.21, comp="context_only", uncertain=True, note="2007/08"),
        _nat("sba", "skilled_birth_attendance", 0.415, se=0.02),
        # Wrongly marked comparable: percent_che must still never be tested.
        _nat("oop_che", "oop_budget_share_mean", 48.70, unit="percent_che", kind="accounts"),
        _nat("pov_se", "poverty_headcount_pre", 0.25, se=0.04),
        _nat("cbhi_se", "coverage_cbhi", 0.05, se=0.04),
        _nat("hef_se", "coverage_hef", 0.10, se=0.04),
        _nat("sso_se", "coverage_sso", 0.20, se=0.008),
        _nat("sass_se", "coverage_sass", 0.20, se=0.008),
        # a survey figure with an SE whose definition differs: no verdict
        _nat("ill_diff", "illness_30d", 0.10, se=0.01, comp="definition_differs"),
        _nat("adm_all", "admissions_per_1000", 30.0, unit="per_1000", rnd="all", se=1.0),
        _nat("che_end", "che_sdg_10", 0.068, rnd="endline", uncertain=True, year="not stated"),
        _nat("cov_end", "coverage_any", 0.93, rnd="endline", year="2018", kind="administrative"),
        # Indicator not estimated: dropped.
        _nat("fever", "u5_fever_care", 0.5),
    ]
    return pd.DataFrame(rows).astype(NATIONAL_DTYPES)


@pytest.fixture
def baseline(indicators, national) -> pd.DataFrame:
    return compare_national(indicators, national, "baseline")


def one(table: pd.DataFrame, comparator_id: str) -> pd.Series:
    hit = table.loc[table["comparator_id"] == comparator_id]
    assert len(hit) == 1, f"expected one row for {comparator_id}, got {len(hit)}"
    return hit.iloc[0]


# --------------------------------------------------------------------------- compare_national


def test_columns_and_dtypes(baseline):
    assert list(baseline.columns) == list(COMPARISON_COLUMNS)
    assert list(baseline.columns[:18]) == [
        "indicator", "label", "estimate", "ci_low", "ci_high", "se", "flag", "national_value",
        "national_year", "source", "table_page", "difference", "test", "z_or_t", "p_value",
        "national_in_ci", "verdict", "caveat",
    ]  # fmt: skip
    assert str(baseline["national_in_ci"].dtype) == "boolean"
    assert baseline["estimate"].dtype == np.float64


def test_no_verdict_without_a_published_margin_or_from_administrative_records(baseline):
    low = one(baseline, "cov_low")
    assert low["estimate"] == pytest.approx(0.40)  # overall row, not the urban domain row
    assert low["difference"] == pytest.approx(0.40 - 0.275)
    assert low["verdict"] == "for context only" and low["context_only"] == "for context only"
    assert low["test"] == "none (for context only)" and low["status"] == "context only"
    assert math.isnan(low["p_value"]) and math.isnan(low["z_or_t"])
    assert low["caveat"] == (
        "no margin of error published; the national figure's uncertainty is not published: "
        "for context only"
    )
    assert low["national_year"] == "2013" and low["source"] == "source cov_low"
    admin = one(baseline, "cov_admin")
    assert admin["verdict"] == "for context only" and pd.isna(admin["p_value"])
    assert admin["caveat"].endswith("an administrative figure: for context only")
    differs = one(baseline, "ill_diff")
    assert differs["verdict"] == "for context only"
    assert differs["caveat"].endswith("the definition differs from ours: for context only")


def test_a_published_ci_gives_the_national_se(baseline):
    # se_nat = (0.54 - 0.46) / (2 x 1.959964) = 0.0204086; se_diff = sqrt(0.03^2 + se_nat^2)
    # = 0.0362838; t = (0.40 - 0.50) / se_diff = -2.756057 on the local 29 df
    row = one(baseline, "cov_ci")
    assert row["z_or_t"] == pytest.approx(-2.756057, rel=1e-6)
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(2.756057, 29), rel=1e-5)
    assert row["test"].endswith("national SE from its 95 % CI")
    assert row["verdict"] == "lower than national"
    assert bool(row["national_in_ci"]) is False  # 0.50 lies above [0.34, 0.46]


def test_z_test_when_national_se_known(baseline):
    # se_diff = sqrt(0.03^2 + 0.04^2) = 0.05; z = 0.05 / 0.05 = 1; two-sided normal p = erfc(1/sqrt 2).
    row = one(baseline, "pov_se")
    assert row["z_or_t"] == pytest.approx(1.0)
    assert row["p_value"] == pytest.approx(0.31731050786291415, rel=1e-9)
    assert row["test"].startswith("z-test")
    assert row["verdict"] == "not distinguishable from national"
    assert bool(row["national_in_ci"]) is True  # 0.25 lies in [0.24, 0.36]


def test_t_test_uses_local_df(baseline):
    # t = 1 on 1 df (Cauchy): two-sided p = 1 - 2 atan(1) / pi = 0.5.
    cbhi = one(baseline, "cbhi_se")
    assert cbhi["z_or_t"] == pytest.approx(1.0)
    assert cbhi["p_value"] == pytest.approx(0.5, rel=1e-9)
    assert "df = 1" in cbhi["test"]
    # t = 1 on 2 df: two-sided p = 1 - t / sqrt(2 + t^2) = 1 - 1/sqrt(3).
    hef = one(baseline, "hef_se")
    assert hef["p_value"] == pytest.approx(1 - 1 / math.sqrt(3), rel=1e-9)


def test_significant_differences_have_direction(baseline):
    # se_diff = sqrt(0.006^2 + 0.008^2) = 0.01, z = +-10.
    sso = one(baseline, "sso_se")
    assert sso["z_or_t"] == pytest.approx(10.0)
    assert sso["p_value"] < 1e-20
    assert sso["verdict"] == "higher than national"
    sass = one(baseline, "sass_se")
    assert sass["z_or_t"] == pytest.approx(-10.0)
    assert sass["verdict"] == "lower than national"


def test_level_changes_test_label_and_alpha(indicators, national):
    # p = 0.317 is significant at alpha = 0.5 (level 0.5), not at 0.05.
    out = compare_national(indicators, national, "baseline", level=0.5)
    assert one(out, "pov_se")["verdict"] == "higher than national"
    assert one(out, "cov_ci")["test"].endswith("national SE from its 50 % CI")
    with pytest.raises(ValueError, match="level"):
        compare_national(indicators, national, "baseline", level=95)


def test_context_only_and_percent_che_are_never_tested(baseline):
    care = one(baseline, "care_old")
    assert care["verdict"] == "for context only"
    assert math.isnan(care["p_value"]) and pd.isna(care["national_in_ci"])
    assert care["difference"] == pytest.approx(0.29)
    # definition note + uncertain source + why no verdict + local caution flag, in that order.
    assert care["caveat"] == (
        "2007/08; uncertain source; the definition differs from ours: for context only; "
        "local estimate based on 25-49 unweighted observations"
    )
    che = one(baseline, "oop_che")
    assert che["verdict"] == "for context only"
    assert che["test"] == "none (for context only)"
    assert math.isnan(che["difference"])  # a % of health expenditure is on another scale
    assert che["national_value"] == pytest.approx(48.70)


def test_suppressed_estimate_is_never_compared_or_shown(baseline):
    sba = one(baseline, "sba")
    assert sba["verdict"] == "estimate suppressed (n < 25)"
    assert sba["flag"] == "suppressed"
    assert sba[["estimate", "ci_low", "ci_high", "se", "difference", "p_value"]].isna().all()
    assert pd.isna(sba["national_in_ci"])
    assert sba["national_value"] == pytest.approx(0.415)  # the national side stays visible


def test_no_national_figure_rows(baseline):
    no_fig = baseline.loc[baseline["status"] == "no national figure"]
    # Headline indicators that are estimated and lack a baseline comparator; che_sdg_10 has
    # only an endline comparator. Non-headline or unestimated ones get no row.
    assert set(no_fig["indicator"]) == {"che_sdg_10", "institutional_delivery"}
    assert (no_fig["verdict"] == "no national figure").all()
    assert no_fig["national_value"].isna().all()
    assert (no_fig["source"] == "").all()
    che = no_fig.loc[no_fig["indicator"] == "che_sdg_10"].iloc[0]
    assert che["estimate"] == pytest.approx(0.12)
    assert che["label"] == "Catastrophic spending > 10 % of consumption (SDG 3.8.2)"
    # Suppressed headline indicator without a comparator: listed, estimate hidden.
    inst = no_fig.loc[no_fig["indicator"] == "institutional_delivery"].iloc[0]
    assert math.isnan(inst["estimate"]) and inst["flag"] == "suppressed"


def test_round_filtering(indicators, national, baseline):
    assert "che_end" not in set(baseline["comparator_id"])
    assert "cov_end" not in set(baseline["comparator_id"])
    assert "fever" not in set(baseline["comparator_id"])  # indicator not estimated
    assert "adm_all" in set(baseline["comparator_id"])  # round "all" serves every round
    assert one(baseline, "adm_all")["verdict"] == "higher than national"
    assert len(baseline) == 13 + 2  # 13 baseline/all comparators + 2 no-figure rows

    endline = compare_national(indicators, national, "endline")
    assert set(endline["comparator_id"]) - {""} == {"che_end", "cov_end", "adm_all"}
    che = one(endline, "che_end")
    # 0.068 lies below the CI (low 0.08), but the comparator is flagged uncertain: no verdict
    assert che["verdict"] == "for context only"
    assert che["context_only"] == "for context only" and pd.isna(che["p_value"])
    assert che["national_year"] == "not stated"
    assert che["caveat"].endswith("uncertain source; uncertain source: for context only")
    no_fig = set(endline.loc[endline["status"] == "no national figure", "indicator"])
    assert "coverage_cbhi" in no_fig and "che_sdg_10" not in no_fig


def test_headline_order_first(baseline):
    order = list(dict.fromkeys(baseline["indicator"]))
    assert order[:3] == ["coverage_any", "coverage_sass", "coverage_sso"]
    assert baseline.loc[baseline["indicator"] == "coverage_any", "comparator_id"].tolist() == [
        "cov_low",
        "cov_admin",
        "cov_ci",
    ]


def test_duplicate_overall_rows_rejected(indicators, national):
    dup = pd.concat([indicators, indicators.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match="several overall.*coverage_any"):
        compare_national(dup, national, "baseline")


# --------------------------------------------------------------------------- load_national


def _write_bad(tmp_path: Path, edits: dict[tuple[int, str], str]) -> Path:
    """Copy the real table to tmp_path with some cells replaced ((row index, column) -> text)."""
    with NATIONAL_CSV.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for (i, col), text in edits.items():
        rows[i][col] = text
    path = tmp_path / "national_bad.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_load_national_reports_every_problem_with_location(tmp_path):
    path = _write_bad(
        tmp_path,
        {(0, "unit"): "percent", (1, "value"): "27.0 %", (2, "source"): "", (3, "value"): "4.9"},
    )
    with pytest.raises(ValueError) as excinfo:
        load_national(path)
    msg = str(excinfo.value)
    assert str(path) in msg and "4 problem(s)" in msg
    assert (
        "line 2 (comparator_id 'shp_coverage_ilo_c2012'), column 'unit': unknown unit 'percent'; "
        "use one of fraction, per_capita, per_1000, lak, percent_che" in msg
    )
    assert (
        "line 3 (comparator_id 'shp_coverage_admin_2012'), column 'value': '27.0 %' is not a number"
        in msg
    )
    assert "line 4 (comparator_id 'shp_coverage_admin_2013'), column 'source': missing" in msg
    assert (
        "line 5 (comparator_id 'sass_coverage_admin_2013'), column 'value': 4.9 is outside 0-1"
        in msg
    )


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        ({(8, "comparability"): "comparable"}, "set comparability to context_only"),
        ({(0, "unit"): "lak"}, "does not fit indicator 'coverage_any'"),
        ({(1, "comparator_id"): "shp_coverage_ilo_c2012"}, "duplicate id"),
        ({(0, "uncertain"): "maybe"}, "write true or false"),
        ({(0, "round"): "midline"}, "unknown round 'midline'"),
        ({(0, "se"): "n/a"}, "column 'se': 'n/a' is not a number"),
        ({(0, "ci_low"): "0.2"}, "only one CI bound"),
        ({(0, "ci_low"): "0.3", (0, "ci_high"): "0.4"}, "does not contain the value"),
    ],
)
def test_load_national_rejects(tmp_path, edits, expected):
    with pytest.raises(ValueError, match=re.escape(expected)):
        load_national(_write_bad(tmp_path, edits))


def test_load_national_missing_column(tmp_path):
    table = pd.read_csv(NATIONAL_CSV, dtype=str, keep_default_na=False).drop(columns="source")
    path = tmp_path / "no_source.csv"
    table.to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"missing column\(s\) source"):
        load_national(path)


# --------------------------------------------------------------------------- the real table


def test_real_table_loads_with_explicit_dtypes():
    nat = load_national(NATIONAL_CSV)
    assert dict(nat.dtypes.astype(str)) == NATIONAL_DTYPES
    assert nat["comparator_id"].is_unique
    assert set(nat["indicator"]) <= set(INDICATOR_UNITS)
    assert {"baseline", "endline"} <= set(nat["round"])
    # NATIONAL_FIGURES.md publishes no SE or CI for any figure: none may appear here.
    assert nat[["se", "ci_low", "ci_high"]].isna().all().all()
    assert (nat.loc[nat["unit"] == "percent_che", "comparability"] == "context_only").all()


def _numbers(text: str) -> set[Decimal]:
    return {Decimal(tok) for tok in re.findall(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.]*\d)", text)}


def test_every_national_value_is_in_national_figures_md():
    """No invented figure: each value appears in NATIONAL_FIGURES.md on a line naming its year."""
    lines = figures_md().read_text(encoding="utf-8").splitlines()
    with NATIONAL_CSV.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    for row in rows:
        raw = Decimal(row["value"])
        shown = raw * 100 if row["unit"] == "fraction" else raw  # 0.275 -> 27.5
        year = re.search(r"(19|20)\d\d", row["year"])
        hits = [
            line
            for line in lines
            if shown in _numbers(line) and (year is None or year.group(0) in line)
        ]
        assert hits, f"{row['comparator_id']}: {shown} ({row['year']}) not found in {figures_md()}"


def test_every_source_url_is_in_national_figures_md():
    text = figures_md().read_text(encoding="utf-8")
    with NATIONAL_CSV.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            assert row["source"].strip(), row["comparator_id"]
            for url in re.findall(r"https?://[^\s,;)]+", row["source"]):
                assert url in text, f"{row['comparator_id']}: URL {url} not in {figures_md()}"


def test_real_table_compares_against_a_plausible_baseline(indicators):
    """End to end with the real table: round filter, context rows and no-figure rows."""
    out = compare_national(indicators, load_national(NATIONAL_CSV), "baseline")
    assert set(out.loc[out["comparator_id"] != "", "national_year"]) <= {
        "c. 2012", "2012", "2013", "2012/13", "2011-12", "2007/08",
    }  # fmt: skip
    assert "uncertain source" in one(out, "shp_coverage_ilo_c2012")["caveat"]
    assert one(out, "oop_share_che_ghed_2013")["verdict"] == "for context only"
    # no current figure supports a verdict (administrative, accounts or definition differs)
    assert (
        out.loc[out["comparator_id"] != "", "verdict"].isin(
            ["for context only", "estimate suppressed (n < 25)"]
        )
    ).all()
    assert "che_sdg_10" in set(out.loc[out["status"] == "no national figure", "indicator"])


def test_no_verdict_when_the_local_indicator_rests_on_an_assumption(indicators, national):
    """poverty_headcount_pre uses the national poverty line, marked ASSUMPTION in the config:
    its comparison (a z-test with a national SE otherwise) reads "for context only"."""
    tested = one(compare_national(indicators, national, "baseline"), "pov_se")
    assert tested["status"] == "compared" and tested["context_only"] == ""
    out = compare_national(
        indicators,
        national,
        "baseline",
        context={"poverty_headcount_pre": "the national poverty line is an assumption"},
    )
    row = one(out, "pov_se")
    assert row["verdict"] == "for context only"
    assert row["context_only"] == "for context only" and row["status"] == "context only"
    assert row["caveat"].endswith("the national poverty line is an assumption: for context only")
    assert pd.isna(row["p_value"]) and row["difference"] == pytest.approx(tested["difference"])
    # other rows keep their verdicts
    assert (
        one(out, "cov_ci")["verdict"]
        == one(compare_national(indicators, national, "baseline"), "cov_ci")["verdict"]
    )


def test_indicator_units_follow_the_catalogue():
    """The module's unit table is the catalogue's units in the national vocabulary."""
    from hhsurvey.catalogue.model import load_catalogue
    from hhsurvey.catalogue.national import catalogue_units

    cat = catalogue_units(load_catalogue(str(REPO / "config" / "indicators.yaml")))
    assert {k: v for k, v in INDICATOR_UNITS.items()} == {k: cat[k] for k in INDICATOR_UNITS}
    assert load_national(NATIONAL_CSV, units=cat).equals(load_national(NATIONAL_CSV))
