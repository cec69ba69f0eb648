"""A small, fully specified round of result files for the report tests.

:func:`write_round` writes every file the render_report rule reads (indicators.csv,
national_comparison.csv, validation, cleaning, weights, manifest, household/frame/person/episode
Parquet files and the figures) into a directory, deterministically. Nothing here runs the
estimation: the numbers are made up, but shaped like the pipeline's (fractions for proportions,
flags from the unweighted denominator, quintile and area rows). The national comparison is
computed with the real :func:`hhsurvey.analysis.compare.compare_national` on the real reference table.

Keyword arguments plant hostile or unusual text (village names, "other, specify" answers) and
extra catalogue entries, so the tests can check escaping and the section mapping.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import yaml
from testpaths import REPO

from hhsurvey.analysis.compare import compare_national, load_national
from hhsurvey.outputs.figures.charts import make_figures
from hhsurvey.outputs.report.build import render_report
from hhsurvey.outputs.report.spec import load_catalogue, load_report_spec

SPEC = load_report_spec(REPO / "config" / "report.yaml")
FIGURES = SPEC.figure_names("round")
VILLAGES = [
    (101, "Ban Na Duang", "ບ້ານນາດ້ວງ", "rural"),
    (102, "Ban Pha Tang", "ບ້ານຜາຕັ້ງ", "rural"),
    (103, "Ban Sisavang", "ບ້ານສີສະຫວ່າງ", "urban"),
    (104, "Ban Houay Ngam", "ບ້ານຫ້ວຍງາມ", "rural"),
    (105, "Ban Vang Vieng", "ບ້ານວັງວຽງ", "urban"),
    (106, "Ban Na Som", "ບ້ານນາສົ້ມ", "rural"),
]


# Survey text with markup, quotes and Lao script, planted by the report tests (both the HTML
# checks of test_report.py and the browser checks of test_report_browser.py): each must reach
# the page as text, never as markup.
HOSTILE_VILLAGES = [
    (101, "<script>alert(1)</script>", "ບ້ານນາດ້ວງ", "rural"),
    (102, "<img src=x onerror=alert(1)>", "ບ້ານ<script>alert(2)</script>", "rural"),
    (103, "Ban \"Quoted\" & 'Single' <b>bold</b>", "ບ້ານສີສະຫວ່າງ", "urban"),
    (104, "Ban Houay Ngam", "ບ້ານຫ້ວຍງາມ", "rural"),
    (105, "Ban Vang Vieng", "ບ້ານວັງວຽງ", "urban"),
    (106, "<svg/onload=alert(7)>", "ບ້ານນາສົ້ມ", "rural"),
]
HOSTILE_SCHEME = (
    "<img src=x onerror=alert(1)>",
    '"><script>alert(3)</script>',
    'Tom & Jerry\'s "fund"',
    "ປະກັນສັງຄົມ",
)
HOSTILE_REASON = (
    "</td></tr></table><script>alert(4)</script>",
    "javascript:alert(5)",
    "<iframe src=https://example.org/x></iframe>",
    "ໄກເກີນໄປ",
)
#: Overall unweighted denominators that exercise the small-sample rule.
SPECIAL_N = {
    "u5_ari_care": 18,  # suppressed, not headline
    "u5_diarrhoea_care": 40,  # caution
    "u5_fever_care": 61,
    "institutional_delivery": 20,  # suppressed headline: never in the key findings
    "skilled_birth_attendance": 45,  # caution headline: in parentheses
}
LEVELS = {
    "area": ["urban", "rural"],
    "sex": ["male", "female"],
    "age_group": ["0-4", "5-14", "15-24", "25-49", "50-64", "65+"],
    "quintile": ["1", "2", "3", "4", "5"],
    "insured_status": ["insured", "not insured"],
    "ep_provider_group": ["public", "private", "pharmacy", "traditional", "other"],
}


def _n_overall(e: Mapping[str, Any]) -> int:
    if e["id"] in SPECIAL_N:
        return SPECIAL_N[e["id"]]
    universe = str(e.get("universe", "all"))
    if e["unit_of_analysis"] != "person":
        return 240
    if universe in ("all", ""):
        return 1180
    if "adm_count" in universe:
        return 52
    if "b_months_since" in universe:
        return 64
    if "ep_sought != 'yes'" in universe:
        return 130
    return 260


def _value(unit: str, rng: np.random.Generator, n: int) -> tuple[float, float]:
    """Estimate and SE in the indicator's unit."""
    if unit == "percent":
        p = float(rng.uniform(0.04, 0.7))
        return p, math.sqrt(p * (1 - p) / n) * 1.4
    if unit == "lak":
        m = float(rng.uniform(40_000, 900_000))
        return m, m * 0.12
    if unit == "per_1000":
        m = float(rng.uniform(30, 90))
        return m, m * 0.15
    if unit == "index":
        return float(rng.uniform(-0.2, 0.3)), 0.05
    m = float(rng.uniform(1, 6))
    return m, m * 0.1


def _row(iid, domain, level, unit, est, se, n, df, rng):
    t = 2.2
    if unit == "percent":
        lg = math.log(est / (1 - est))
        half = t * se / (est * (1 - est))
        lo, hi = (1 / (1 + math.exp(-(lg - half))), 1 / (1 + math.exp(-(lg + half))))
    else:
        lo, hi = est - t * se, est + t * se
    return {
        "indicator": iid,
        "domain": domain,
        "level": level,
        "estimate": est,
        "se": se,
        "ci_low": lo,
        "ci_high": hi,
        "df": df,
        "deff": float(rng.uniform(1.1, 2.6)),
        "n_unweighted": n,
        "n_weighted": n * float(rng.uniform(9.5, 10.5)),
        "flag": "suppressed" if n < 25 else ("caution" if n < 50 else ""),
    }


def make_indicators(catalogue: Sequence[Mapping[str, Any]], seed: int = 6) -> pd.DataFrame:
    """indicators.csv rows for every catalogue entry, overall and by each disaggregation."""
    rng = np.random.default_rng(seed)
    rows = []
    for e in catalogue:
        n = _n_overall(e)
        if e.get("definition") == "che_curve":
            # Composite headcount curve: one row per threshold, no overall row.
            for z in np.round(np.arange(0, 0.41, 0.01), 2):
                p = 0.03 + 0.6 * math.exp(-z / 0.08)
                se = math.sqrt(p * (1 - p) / n) * 1.4
                rows.append(_row(e["id"], "threshold", f"{z:.2f}", "percent", p, se, n, 10, rng))
            continue
        est, se = _value(e["unit"], rng, n)
        rows.append(_row(e["id"], "total", "total", e["unit"], est, se, n, 10, rng))
        for by in e.get("by", []):
            levels = LEVELS.get(by, ["a", "b"])
            for i, level in enumerate(levels):
                # Uneven group sizes, so that some quintiles fall under 25 or 50.
                share = (0.55 - 0.1 * i) if by == "quintile" else 1 / len(levels)
                nl = max(int(n * max(share, 0.05) * (0.9 if by == "quintile" else 1.0)), 3)
                e2, se2 = _value(e["unit"], rng, nl)
                rows.append(_row(e["id"], by, level, e["unit"], e2, se2, nl, 4, rng))
    return pd.DataFrame(rows)


def make_households(n: int = 120, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    village = np.repeat([v[0] for v in VILLAGES], n // len(VILLAGES))
    area = pd.Series(village).map({v[0]: v[3] for v in VILLAGES}).to_numpy()
    hhsize = rng.integers(1, 9, size=len(village))
    food = rng.gamma(4, 3_000_000, size=len(village))
    nonfood = rng.gamma(3, 2_000_000, size=len(village))
    oop = np.where(rng.uniform(size=len(village)) < 0.6, rng.gamma(0.8, 1_500_000, len(village)), 0)
    total = food + nonfood + oop
    weight = np.where(area == "urban", 30.0, 55.0) * rng.uniform(0.9, 1.1, len(village))
    df = pd.DataFrame(
        {
            "village": village,
            "hh": np.tile(np.arange(1, n // len(VILLAGES) + 1), len(VILLAGES)),
            "area": area,
            "weight": weight,
            "hhsize": hhsize,
            "food": food,
            "nonfood": nonfood,
            "oop": oop,
            "total": total,
        }
    )
    df = df.assign(
        pc_total=df["total"] / df["hhsize"],
        budget_share=df["oop"] / df["total"],
        pop_weight=df["weight"] * df["hhsize"],
    )
    q = pd.qcut(df["pc_total"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
    return df.assign(quintile=q.astype("int64"))


def make_diagnostics(villages: Sequence[tuple]) -> pd.DataFrame:
    rows = []

    def add(scope, level, measure, value, note=""):
        rows.append(
            {"scope": scope, "level": str(level), "measure": measure, "value": value, "note": note}
        )

    for measure, value in [
        ("households_sampled", 264),
        ("households_eligible", 255),
        ("households_responding", 240),
        ("response_rate", 240 / 255),
        ("villages_selected", len(villages)),
        ("villages_with_respondents", len(villages)),
        ("weight_min", 24.6),
        ("weight_max", 61.3),
        ("weight_cv", 0.31),
        ("kish_deff_households", 1.096),
        ("kish_deff_persons", 1.102),
        ("weighted_households", 10480.4),
        ("frame_households_census", 10212),
        ("weighted_persons", 52011.7),
    ]:
        add(
            "overall",
            "total",
            measure,
            value,
            "census measure of size" if "census" in measure else "",
        )
    for s, nv in (("urban", 2), ("rural", 4)):
        add("stratum", s, "response_rate", 0.93 if s == "urban" else 0.95)
        add("stratum", s, "weighted_households", 3900.2 if s == "urban" else 6580.2)
        add("stratum", s, "frame_households_census", 3812 if s == "urban" else 6400)
        add("stratum", s, "villages_selected", nv)
    for i, v in enumerate(villages):
        add("village", v[0], "response_rate", 0.9 + 0.01 * i)
        add(
            "village",
            v[0],
            "nonresponse_factor",
            2.2 if i == 0 else 1.05,
            "factor above 2.0" if i == 0 else "",
        )
        add(
            "village",
            v[0],
            "pi1",
            1.0 if i == 4 else 0.3 + 0.05 * i,
            "certainty unit" if i == 4 else "",
        )
        add("village", v[0], "pi2", 0.2)
    return pd.DataFrame(rows)


def write_round(
    dest: str | Path,
    *,
    villages: Sequence[tuple] = VILLAGES,
    scheme_other: Sequence[str] = ("Military insurance", "Military insurance", "Company scheme"),
    reason_other: Sequence[str] = ("Waiting for harvest money",),
    extra_catalogue: Sequence[Mapping[str, Any]] = (),
    drop: Sequence[str] = ("che_sdg_revised", "kakwani_oop"),
    synthetic: bool = True,
    with_figures: bool = True,
) -> dict[str, Any]:
    """Write a complete fixture round under *dest*; return the arguments of render_report."""
    dest = Path(dest)
    (dest / "clean").mkdir(parents=True, exist_ok=True)
    (dest / "figures").mkdir(exist_ok=True)
    doc = yaml.safe_load((REPO / "config" / "indicators.yaml").read_text(encoding="utf-8"))
    doc["indicators"] = list(doc["indicators"]) + [dict(e) for e in extra_catalogue]
    catalogue_path = dest / "indicators.yaml"
    catalogue_path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "utf-8")
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))

    # Indicators in *drop* stay in the catalogue but have no results ("not estimated").
    indicators = make_indicators(doc["indicators"])
    indicators = indicators.loc[~indicators["indicator"].isin(drop)].reset_index(drop=True)
    indicators.to_csv(dest / "indicators.csv", index=False)
    national = load_national(REPO / "raw" / "reference" / "national_lao.csv")
    comparison = compare_national(indicators, national, "baseline", level=0.95)
    comparison.to_csv(dest / "national_comparison.csv", index=False)

    pd.DataFrame(
        {
            "check": ["extreme_amount", "interview_date_window"],
            "severity": ["warning", "warning"],
            "table": ["episode", "household"],
            "records": [3, 1],
            "description": ["Amount far from the item's median", "Interview outside fieldwork"],
        }
    ).to_csv(dest / "validation_summary.csv", index=False)
    pd.DataFrame(
        {
            "check": [
                "extreme_amount",
                "extreme_amount",
                "extreme_amount",
                "interview_date_window",
            ],
            "severity": ["warning"] * 4,
            "table": ["episode", "episode", "episode", "household"],
            "file": ["opd.sav", "opd.sav", "opd.sav", "hh.sav"],
            "keys": ["101/3/2", "102/5/1", "104/1/4", "106/7"],
            "variable": ["cost_medicine"] * 3 + ["interview_date"],
            "value": ["2500000", "1800000", "3100000", "2013-04-23"],
            "message": ["extreme amount"] * 3 + ["outside fieldwork window"],
        }
    ).to_csv(dest / "validation.csv", index=False)
    pd.DataFrame(
        {
            "table": ["episode", "episode", "nonfood"],
            "keys": ["101/3/2", "103/2/1", "105/4"],
            "variable": ["cost_medicine", "cost_consult", "value"],
            "old_value": ["", "", "99999999"],
            "new_value": ["15000", "5000", "120000"],
            "rule": ["impute_median", "impute_median", "impute_median"],
            "reason": ["don't know amount", "don't know amount", "refused"],
        }
    ).to_csv(dest / "cleaning_log.csv", index=False)
    pd.DataFrame(
        {
            "table": ["household", "person", "episode"],
            "raw": [264, 1190, 300],
            "clean": [264, 1180, 300],
            "excluded": [0, 10, 0],
            "reconciles": [True, True, True],
        }
    ).to_csv(dest / "row_counts.csv", index=False)
    make_diagnostics(villages).to_csv(dest / "weights_diagnostics.csv", index=False)
    pd.DataFrame(
        {
            "table": ["household", "person"],
            "file": ["hh.sav", "persons.sav"],
            "sha256": [hashlib.sha256(b"hh").hexdigest(), hashlib.sha256(b"persons").hexdigest()],
            "rows": [264, 1190],
        }
    ).to_csv(dest / "manifest.csv", index=False)

    households = make_households()
    households.to_parquet(dest / "households.parquet", index=False)
    pd.DataFrame(
        {
            "village": [v[0] for v in villages],
            "village_en": [v[1] for v in villages],
            "village_lo": [v[2] for v in villages],
            "area": [v[3] for v in villages],
            "selected": [1] * len(villages),
        }
    ).to_parquet(dest / "clean" / "frame.parquet", index=False)
    n_person = 40
    pd.DataFrame(
        {
            "village": [101] * n_person,
            "hh": np.arange(n_person) // 4 + 1,
            "line": np.arange(n_person) % 4 + 1,
            "scheme_other": list(scheme_other) + [None] * (n_person - len(scheme_other)),
        }
    ).to_parquet(dest / "clean" / "person.parquet", index=False)
    pd.DataFrame(
        {
            "village": [102] * 10,
            "hh": np.arange(10) + 1,
            "line": [1] * 10,
            "reason_other": list(reason_other) + [""] * (10 - len(reason_other)),
        }
    ).to_parquet(dest / "clean" / "episode.parquet", index=False)

    figure_paths = [str(dest / "figures" / f"{n}.svg") for n in FIGURES]
    if with_figures:
        cat = load_catalogue(catalogue_path)
        make_figures(
            FIGURES,
            figure_paths,
            indicators=indicators,
            comparison=comparison,
            households=households,
            labels={e.id: e.label for e in cat.entries},
            plotted={n: cat.plotted(n) for n in FIGURES},
            builders={n: SPEC.figures[n].builder for n in FIGURES},
            che_curve_max=config["indicators"]["che_curve_max"],
            che_curve_step=config["indicators"]["che_curve_step"],
        )
    round_meta = dict(config["rounds"]["baseline"], name="baseline", synthetic=synthetic)
    paths = {
        "indicators": dest / "indicators.csv",
        "comparison": dest / "national_comparison.csv",
        "validation": dest / "validation_summary.csv",
        "validation_findings": dest / "validation.csv",
        "cleaning_log": dest / "cleaning_log.csv",
        "row_counts": dest / "row_counts.csv",
        "weights_diagnostics": dest / "weights_diagnostics.csv",
        "manifest": dest / "manifest.csv",
        "frame": dest / "clean" / "frame.parquet",
        "person": dest / "clean" / "person.parquet",
        "episode": dest / "clean" / "episode.parquet",
        "catalogue": catalogue_path,
        "report_spec": REPO / "config" / "report.yaml",
        "codebook": REPO / "config" / "codebooks" / "baseline.yaml",
        "national": REPO / "raw" / "reference" / "national_lao.csv",
        "config_file": REPO / "config" / "config.yaml",
        "determinants": "",
    }
    return {
        "paths": {k: str(v) for k, v in paths.items()},
        "figure_names": FIGURES,
        "figure_paths": figure_paths,
        "round_meta": round_meta,
        "config": config,
    } | template_args("report.html.j2")


def template_args(template: str) -> dict[str, str]:
    """Template, stylesheet and checkout arguments of a report renderer."""
    return {
        "template": str(REPO / "report" / "templates" / template),
        "css": str(REPO / "report" / "static" / "report.css"),
        "repo": str(REPO),
    }


def run_rule_script(
    script: str, inputs: Mapping[str, Any], params: Mapping[str, Any], out: str | Path
) -> str:
    """Run ``scripts/<script>`` as Snakemake does (named inputs, params, ``output.html``);
    return the page it wrote."""
    from snakemake.iocontainers import Namedlist

    spec = importlib.util.spec_from_file_location(Path(script).stem, REPO / "scripts" / script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    smk = SimpleNamespace(
        input=Namedlist(fromdict=dict(inputs)),
        output=SimpleNamespace(html=str(out)),
        params=SimpleNamespace(**params),
        log=[],
    )
    module.main(smk)
    return Path(out).read_text(encoding="utf-8")


def render(dest: str | Path, out: str | Path | None = None, **kwargs: Any) -> Path:
    """Write a fixture round under *dest* and render its report; return the HTML path."""
    args = write_round(dest, **kwargs)
    out = Path(out) if out else Path(dest) / "report.html"
    render_report(**args, out=str(out), environ={})
    return out
