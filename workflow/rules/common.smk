# Helpers shared by the rules: config validation, round lookups, library sources.
import ast
import hashlib
import os
import sys
from functools import cache
from pathlib import Path

from snakemake.logging import logger
from snakemake.utils import validate

# scripts/ is on the path (config_guard.smk)
from hhsurvey.catalogue.model import load_catalogue
from hhsurvey.survey.codebook.model import check_config_file
from hhsurvey.errors import InputError
from hhsurvey.paths import is_inside
from hhsurvey.survey.rounds import check_paths, check_price_years
from hhsurvey.yamlsafe import load_yaml

validate(config, "../schemas/config.schema.yaml")


def config_files():
    """config/config.yaml and any --configfile of the run (repository-relative when inside)."""
    files = ["config/config.yaml"]
    for f in workflow.overwrite_configfiles:
        p = Path(f).resolve()
        rel = os.path.relpath(p) if p.is_relative_to(Path.cwd()) else str(p)
        if rel not in files:
            files.append(rel)
    return files


try:
    # the fence: every path of the config inside the project (raw_dir inside raw/), every
    # year the CPI converts inside prices.cpi; then YAML errors, tags and alias bombs in the
    # catalogue, and its expressions parsed against the allowed grammar (docs/expressions.md)
    check_paths(config, config_files())
    check_price_years(config, config_files())
    _catalogue = check_config_file(config["indicators"]["catalogue"])
    validate(_catalogue, "../schemas/indicators.schema.yaml")
    load_catalogue(config["indicators"]["catalogue"])
except InputError as _err:
    raise WorkflowError(_err.message) from None

REPORT_SPEC = "config/report.yaml"
# The rules of "What this means for the NHI" (schema workflow/schemas/implications.schema.yaml)
IMPLICATIONS = "config/implications.yaml"
with open(REPORT_SPEC, encoding="utf-8") as _fh:
    validate(load_yaml(_fh.read(), REPORT_SPEC), "../schemas/report.schema.yaml")

REPO = Path(workflow.basedir)
# Rule scripts import this repository's library (scripts/hhsurvey), never another installed
# copy: the library sources are rule inputs (script_lib), so they must be the code that runs.
os.environ.update(
    PYTHONPATH=os.pathsep.join(
        [str(REPO / "scripts"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
)
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


LIB = REPO / "scripts" / "hhsurvey"


def _module_file(dotted):
    """File of library module ``hhsurvey.a.b`` (a module or a package's __init__), or None."""
    base = LIB.joinpath(*dotted.split(".")[1:])
    for f in (base.with_suffix(".py"), base / "__init__.py"):
        if f.is_file():
            return f
    return None


@cache
def _imports(path):
    """Library files that a Python file imports (anywhere in it, lazy imports included), with
    the __init__ of every package on the way (Python runs them on import)."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "hhsurvey":
                names.add(node.module)
                # from hhsurvey.outputs import i18n: a submodule, when such a file exists
                names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.split(".")[0] == "hhsurvey")
    files = set()
    for name in names:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            if (f := _module_file(".".join(parts[:i]))) is not None:
                files.add(f)
    return sorted(files)


def _closure(paths):
    """Library files reachable from ``paths`` through imports (the package's __init__ too)."""
    todo = [Path(p) for p in paths]
    seen = {LIB / "__init__.py"}
    while todo:
        for f in _imports(todo.pop()):
            if f not in seen:
                seen.add(f)
                todo.append(f)
    # relative to the working directory: a moved or copied repository is not a changed input
    return sorted(os.path.relpath(f) for f in seen)


def script_lib(script):
    """Library sources used by scripts/<script>.py, i.e. the import closure of the script
    (computed from its imports, not kept by hand), so that editing any module it uses, directly
    or through another module, reruns the job."""
    return _closure([REPO / "scripts" / f"{script}.py"])


def lib(*modules):
    """Library sources of the named modules (dotted, below ``hhsurvey``) and everything they
    import (see script_lib)."""
    return _closure([_module_file(f"hhsurvey.{m}") for m in ("cli", *modules)])


def scenario_table(wildcards):
    """The round's scenarios.csv when benefit packages are configured (an optional input)."""
    if config.get("scenarios", {}).get("packages"):
        return f"results/{wildcards.round}/scenarios.csv"
    return []


def round_config(wildcards):
    return config["rounds"][wildcards.round]


def get_codebook(wildcards):
    return round_config(wildcards)["codebook"]


def get_raw_files(wildcards):
    """Raw module files named by the round's codebook (those present; ingest reports the rest)."""
    rc = round_config(wildcards)
    try:
        with open(rc["codebook"], encoding="utf-8") as fh:
            doc = load_yaml(fh.read(), rc["codebook"]) or {}
        files = [t.get("file", "") for t in (doc.get("tables") or {}).values()]
    except (OSError, InputError, AttributeError, TypeError):
        # the ingest job reads the codebook again and explains the problem in its log
        return []
    paths = [os.path.join(rc["raw_dir"], str(f)) for f in files if f]
    # a file outside the round's folder is never read, not even for its checksum (ingest
    # stops with the message naming the codebook's `file:`)
    return [p for p in paths if is_inside(p, rc["raw_dir"]) and os.path.isfile(p)]


def raw_checksums(wildcards):
    """SHA-256 of each raw file of the round: a parameter of the ingest, so that a file whose
    content changed reruns everything downstream whatever its modification time (cp -p, unzip,
    rsync -t keep an older mtime)."""
    out = {}
    for p in get_raw_files(wildcards):
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        out[os.path.basename(p)] = h.hexdigest()
    return out


def get_fieldwork(wildcards):
    return round_config(wildcards)["fieldwork"]


def get_round_meta(wildcards):
    """Round description passed to the report (title, fieldwork, prices, synthetic)."""
    rc = dict(round_config(wildcards))
    rc["name"] = wildcards.round
    return rc


def round_meta_slice(*keys):
    """A params function: the round's description (get_round_meta) with only *keys*, for a
    script that reads no more (params are a rerun trigger: another key reruns none of its jobs)."""

    def get(wildcards):
        meta = get_round_meta(wildcards)
        return {k: meta[k] for k in keys if k in meta}

    return get


def config_slice(*keys):
    """The parts of the validated config named by dotted *keys* ("design.level"), nested as in
    the config: what a rule gives its script instead of the whole config, so that editing any
    other key reruns none of its jobs. A key absent from the config is left out."""
    out = {}
    for key in keys:
        *path, last = key.split(".")
        src, dst = config, out
        for k in path:
            src = src.get(k) or {}
            dst = dst.setdefault(k, {})
        if last in src:
            dst[last] = src[last]
    return out


def price_factor(wildcards):
    """Factor bringing the round's amounts to base-year prices (CPI base / CPI round); every
    year is in prices.cpi (check_price_years, when the workflow is parsed)."""
    cpi = {int(k): float(v) for k, v in config["prices"]["cpi"].items()}
    year = int(round_config(wildcards)["price_year"])
    base = int(config["prices"]["base_year"])
    return cpi[base] / cpi[year]


def get_final_outputs():
    rounds = config["analyse"]
    out = expand("results/{round}/national_comparison.csv", round=rounds)
    for r in rounds:
        out += [html for html, _, _ in round_documents(r)]
        out += [pdf for _, pdf, _ in round_documents(r)]
    out += expand("results/{round}/differences.csv", round=rounds)
    if config.get("scenarios", {}).get("packages"):
        out += expand("results/{round}/scenarios.csv", round=rounds)
    if "planning" in config:
        out += expand("results/{round}/endline_planning.csv", round=rounds)
    if "change" in config:
        out.append("results/change/indicators_change.csv")
        out += [html for html, _, _ in change_documents()]
        out += [pdf for _, pdf, _ in change_documents()]
        out.append("results/change/revisits.csv")
    return out


def summary_languages(langs):
    """Languages of the translated summaries: those of *langs* other than English (the
    English summary is the report's own executive summary)."""
    return [lang for lang in langs if lang != "en"]


def round_documents(r):
    """(html, pdf, outline) of every printed document of round *r*: the report (with
    bookmarks), its brief in each language and its summary in each language but English."""
    langs = brief_languages(config, r)
    docs = [(f"results/report/{r}.html", f"results/report/{r}.pdf", True)]
    docs += [
        (f"results/report/{r}_brief_{lang}.html", f"results/report/{r}_brief_{lang}.pdf", False)
        for lang in langs
    ]
    docs += [
        (
            f"results/report/{r}_summary_{lang}.html",
            f"results/report/{r}_summary_{lang}.pdf",
            False,
        )
        for lang in summary_languages(langs)
    ]
    return docs


def change_documents():
    """(html, pdf, outline) of the change report and its summary in each language but
    English (report.languages)."""
    langs = summary_languages((config.get("report") or {}).get("languages") or ["en", "lo"])
    docs = [("results/report/change.html", "results/report/change.pdf", True)]
    docs += [
        (
            f"results/report/change_summary_{lang}.html",
            f"results/report/change_summary_{lang}.pdf",
            False,
        )
        for lang in langs
    ]
    return docs


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


def change_report_rounds(*keys):
    """Both rounds as the round report describes them, with name and price factor; only
    *keys* when given (what the script reads, so that other keys rerun none of its jobs)."""
    params = change_round_params()
    rounds = {
        role: get_round_meta(type("W", (), {"round": p["name"]})()) | p
        for role, p in params.items()
    }
    if keys:
        rounds = {role: {k: r[k] for k in keys if k in r} for role, r in rounds.items()}
    return rounds


def get_raw_dir(wildcards):
    return round_config(wildcards)["raw_dir"]


def get_national_round(wildcards):
    return round_config(wildcards)["national_round"]


def calibration_totals(wildcards):
    """The census totals table when calibration is enabled (a rule input, so edits rerun)."""
    cal = config["weights"]["calibration"]
    return [cal["totals"]] if cal["enabled"] and cal["totals"] else []


def locale_files(wildcards):
    """The translation catalogue of the brief's language (none for English)."""
    if wildcards.lang == "en":
        return []
    return [f"report/locale/{wildcards.lang}/LC_MESSAGES/messages.po"]


def report_figures(report):
    """Names of the figures of one report ("round" or "change"), from the figure registry of
    config/report.yaml: the one place a figure is declared."""
    with open(REPORT_SPEC, encoding="utf-8") as fh:
        figures = (load_yaml(fh.read(), REPORT_SPEC) or {}).get("figures") or {}
    return [name for name, f in figures.items() if f.get("report", "round") == report]


# Parse-time checks of the rounds and the brief's languages (logic in the workflow's own
# library, scripts/hhsurvey/survey/rounds.py)
sys.path.insert(0, str(REPO / "scripts"))
from hhsurvey.errors import InputError
from hhsurvey.survey.rounds import (
    brief_languages,
    check_revisits,
    described_rounds,
    own_config_files,
    unanalysed_rounds,
    unanalysed_warning,
)

# only rounds the user's own configuration describes (not the defaults it inherits)
_own = own_config_files(config_files())
_unanalysed = unanalysed_rounds(config, described_rounds(_own))
if _unanalysed:
    logger.warning(unanalysed_warning(_unanalysed, _own))
try:
    REVISITS = check_revisits(config, config_files())
except InputError as _err:
    raise ValueError(_err.message) from None
