# Helpers shared by the rules: config validation, round lookups, library sources.
import os
import sys
from pathlib import Path

import yaml
from snakemake.logging import logger
from snakemake.utils import validate

validate(config, "../schemas/config.schema.yaml")

with open(config["indicators"]["catalogue"], encoding="utf-8") as _fh:
    validate(yaml.safe_load(_fh), "../schemas/indicators.schema.yaml")

REPORT_SPEC = "config/report.yaml"
with open(REPORT_SPEC, encoding="utf-8") as _fh:
    validate(yaml.safe_load(_fh), "../schemas/report.schema.yaml")

REPO = Path(workflow.basedir)
TABLES = [
    "frame",
    "household",
    "food",
    "nonfood",
    "person",
    "episode",
    "admission",
    "birth",
    "child",
]

for _round in config["analyse"]:
    if _round not in config["rounds"]:
        raise ValueError(
            f"config: `analyse` names round '{_round}', which is not described under `rounds:` "
            f"(known: {sorted(config['rounds'])}). Add it under `rounds:` or remove it from `analyse`."
        )


wildcard_constraints:
    round="|".join(sorted(config["rounds"])),


def lib(*modules):
    """Library source files a rule depends on, so that editing them reruns the rule."""
    mods = ("__init__", "errors", "cli", *modules)
    return [str(REPO / "scripts" / "hhsurvey" / f"{m}.py") for m in mods]


def round_config(wildcards):
    return config["rounds"][wildcards.round]


def get_codebook(wildcards):
    return round_config(wildcards)["codebook"]


def get_raw_files(wildcards):
    """Raw module files named by the round's codebook (those present; ingest reports the rest)."""
    rc = round_config(wildcards)
    try:
        with open(rc["codebook"], encoding="utf-8") as fh:
            doc = yaml.safe_load(fh) or {}
    except OSError:
        return []
    files = [t.get("file", "") for t in (doc.get("tables") or {}).values()]
    paths = [os.path.join(rc["raw_dir"], f) for f in files if f]
    return [p for p in paths if os.path.exists(p)]


def get_fieldwork(wildcards):
    return round_config(wildcards)["fieldwork"]


def get_round_meta(wildcards):
    """Round description passed to the report (title, fieldwork, prices, synthetic)."""
    rc = dict(round_config(wildcards))
    rc["name"] = wildcards.round
    return rc


def price_factor(wildcards):
    """Factor bringing the round's amounts to base-year prices (CPI base / CPI round)."""
    cpi = {int(k): float(v) for k, v in config["prices"]["cpi"].items()}
    year = int(round_config(wildcards)["price_year"])
    base = int(config["prices"]["base_year"])
    missing = [y for y in (year, base) if y not in cpi]
    if missing:
        raise ValueError(
            f"config: prices.cpi has no value for year(s) {missing} (round {wildcards.round}). "
            "Add the CPI of those years under prices.cpi."
        )
    return cpi[base] / cpi[year]


def get_final_outputs():
    rounds = config["analyse"]
    out = expand("results/report/{round}.html", round=rounds)
    out += expand("results/report/{round}.pdf", round=rounds)
    out += expand("results/{round}/national_comparison.csv", round=rounds)
    out += brief_outputs(rounds)
    if config.get("scenarios", {}).get("packages"):
        out += expand("results/{round}/scenarios.csv", round=rounds)
    if "planning" in config:
        out += expand("results/{round}/endline_planning.csv", round=rounds)
    if "change" in config:
        out.append("results/change/indicators_change.csv")
        out.append("results/report/change.html")
        out.append("results/change/revisits.csv")
    return out


def change_inputs(kind):
    """Per-round inputs of the change rule (baseline first, then endline)."""
    rounds = [config["change"]["baseline"], config["change"]["endline"]]
    patterns = {
        "indicators": "results/{round}/indicators.csv",
        "comparison": "results/{round}/national_comparison.csv",
        "manifest": "results/{round}/ingest/manifest.csv",
        "person_frame": "results/{round}/frames/person.parquet",
        "household_frame": "results/{round}/frames/household.parquet",
        "household_pop_frame": "results/{round}/frames/household_pop.parquet",
    }
    return [patterns[kind].format(round=r) for r in rounds]


def change_round_params():
    """Name, price factor and revisit flag of the two rounds of the change."""
    out = {}
    for role in ("baseline", "endline"):
        name = config["change"][role]
        w = type("W", (), {"round": name})()
        out[role] = {
            "name": name,
            "price_factor": price_factor(w),
            "revisits": config["rounds"][name].get("revisits"),
        }
    return out


def change_report_rounds():
    """Both rounds as the round report describes them, with name and price factor."""
    params = change_round_params()
    return {
        role: get_round_meta(type("W", (), {"round": p["name"]})()) | p
        for role, p in params.items()
    }


def config_files():
    """config/config.yaml and any --configfile of the run (repository-relative when inside)."""
    files = ["config/config.yaml"]
    for f in workflow.overwrite_configfiles:
        p = Path(f).resolve()
        rel = os.path.relpath(p) if p.is_relative_to(Path.cwd()) else str(p)
        if rel not in files:
            files.append(rel)
    return files


def get_raw_dir(wildcards):
    return round_config(wildcards)["raw_dir"]


def get_national_round(wildcards):
    return round_config(wildcards)["national_round"]


def calibration_totals(wildcards):
    """The census totals table when calibration is enabled (a rule input, so edits rerun)."""
    cal = config["weights"]["calibration"]
    return [cal["totals"]] if cal["enabled"] and cal["totals"] else []


def brief_languages(round_name):
    """Languages of a round's brief: its own `languages`, else report.languages."""
    rc = config["rounds"][round_name]
    return rc.get("languages") or config["report"].get("languages", ["en", "lo"])


def brief_outputs(rounds):
    """The brief of each round in each of its languages, HTML and PDF."""
    return [
        f"results/report/{r}_brief_{lang}.{ext}"
        for r in rounds
        for lang in brief_languages(r)
        for ext in ("html", "pdf")
    ]


def locale_files(wildcards):
    """The translation catalogue of the brief's language (none for English)."""
    if wildcards.lang == "en":
        return []
    return [f"report/locale/{wildcards.lang}/LC_MESSAGES/messages.po"]


def report_figures(report):
    """Names of the figures of one report ("round" or "change"), from the figure registry of
    config/report.yaml: the one place a figure is declared."""
    with open(REPORT_SPEC, encoding="utf-8") as fh:
        figures = (yaml.safe_load(fh) or {}).get("figures") or {}
    return [name for name, f in figures.items() if f.get("report", "round") == report]


# Parse-time checks of the rounds (logic in the workflow's own library, scripts/hhsurvey/rounds.py)
sys.path.insert(0, str(REPO / "scripts"))
from hhsurvey.errors import InputError
from hhsurvey.rounds import check_revisits, unanalysed_rounds, unanalysed_warning

if unanalysed_rounds(config):
    logger.warning(unanalysed_warning(unanalysed_rounds(config), config_files()))
try:
    REVISITS = check_revisits(config, config_files())
except InputError as _err:
    raise ValueError(_err.message) from None
