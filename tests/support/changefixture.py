"""Two small, fully specified rounds and their change table, for the change-report tests.

:func:`write_change` writes what the render_change_report rule reads: per round an
indicators.csv (made up with :func:`roundfixture.make_indicators`, different seeds), a
national_comparison.csv (the real :func:`hhsurvey.analysis.compare.compare_national` on the real
reference table, each round with its own comparators) and an ingest manifest; the change table
(same columns as :data:`hhsurvey.engine.results.CHANGE_COLUMNS`, SEs combined as independent samples);
and the dumbbell figure. Planted cases:

- ``institutional_delivery``: suppressed at baseline only; ``skilled_birth_attendance`` and
  ``u5_diarrhoea_care``: caution in both rounds; ``u5_ari_care``: suppressed in both;
- ``coverage_any``: a large, significant increase; ``kakwani_oop``: endline only lacks it;
- ``hostile=True``: a catalogue label and a national source carry markup.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import roundfixture as rf  # noqa: E402
import yaml
from scipy import stats
from testpaths import REPO

from hhsurvey.analysis.change import change_flags
from hhsurvey.analysis.compare import compare_national, load_national
from hhsurvey.catalogue.model import load_catalogue as load_indicators
from hhsurvey.outputs.change_report import ROLES, headline_frame, round_flags
from hhsurvey.outputs.figures.charts import change_dumbbell, save_svg
from hhsurvey.outputs.report.spec import load_catalogue

FIGURES = ["change_dumbbell"]
HOSTILE_LABEL = "Covered by <script>alert(1)</script> & 'the \"fund\"'"
HOSTILE_SOURCE = 'Ministry <img src=x onerror=alert(2)> & "partners"'
SEEDS = {"baseline": 6, "endline": 16}
DF = 20.0


def merged_config() -> dict[str, Any]:
    """config/config.yaml with config/endline.yaml merged over it (as --configfile does)."""
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    end = yaml.safe_load((REPO / "config" / "endline.yaml").read_text(encoding="utf-8"))

    def merge(a: dict, b: dict) -> None:
        for k, v in b.items():
            if isinstance(v, dict) and isinstance(a.get(k), dict):
                merge(a[k], v)
            else:
                a[k] = v

    merge(cfg, end)
    return cfg


def _flag(n: float) -> str:
    return "suppressed" if n < 25 else ("caution" if n < 50 else "")


def make_rounds(catalogue: list[dict]) -> dict[str, pd.DataFrame]:
    out = {}
    for role in ROLES:
        ind = rf.make_indicators(catalogue, seed=SEEDS[role])
        out[role] = ind
    end = out["endline"]
    # Suppressed at baseline only (roundfixture gives it 20 cases in every round).
    at = (end["indicator"] == "institutional_delivery") & (end["domain"] == "total")
    end.loc[at, ["n_unweighted", "flag"]] = [80, ""]
    # A large increase of coverage, significant whatever the SEs.
    base = out["baseline"].set_index(["indicator", "domain", "level"])["estimate"]
    cov = end["indicator"] == "coverage_any"
    keys = list(end.loc[cov, ["indicator", "domain", "level"]].itertuples(index=False))
    end.loc[cov, "estimate"] = [min(base[k] + 0.3, 0.95) for k in keys]
    end.loc[cov, "ci_low"] = end.loc[cov, "estimate"] - 2.1 * end.loc[cov, "se"]
    end.loc[cov, "ci_high"] = end.loc[cov, "estimate"] + 2.1 * end.loc[cov, "se"]
    out["endline"] = end.loc[end["indicator"] != "kakwani_oop"].reset_index(drop=True)
    for ind in out.values():
        assert (ind["flag"] == ind["n_unweighted"].map(_flag)).all()
    return out


def make_change(
    catalogue: list[dict], rounds: dict[str, pd.DataFrame], catalogue_path: Path | None = None
) -> pd.DataFrame:
    """The change of every (indicator, total or area) estimated in both rounds, its SE combining
    the two rounds as independent samples, t on :data:`DF` degrees of freedom; the flags, the
    minimum detectable change and the headline family's adjusted p-values as the pipeline
    adds them (:func:`hhsurvey.analysis.change.change_flags`)."""
    composite = {e["id"] for e in catalogue if e["estimator"] in ("composite", "quantile")}
    cols = ["indicator", "domain", "level", "estimate", "ci_low", "ci_high", "se"]
    b, e = (rounds[r].loc[rounds[r]["domain"].isin(["total", "area"]), cols] for r in ROLES)
    m = b.merge(e, on=["indicator", "domain", "level"], suffixes=("_b", "_e"))
    se = np.hypot(m["se_b"], m["se_e"])
    change = m["estimate_e"] - m["estimate_b"]
    p = 2 * stats.t.sf((change / se).abs(), DF)
    half = stats.t.ppf(0.975, DF) * se
    out = m[["indicator", "domain", "level"]].assign(
        baseline=m["estimate_b"],
        baseline_ci_low=m["ci_low_b"],
        baseline_ci_high=m["ci_high_b"],
        endline=m["estimate_e"],
        endline_ci_low=m["ci_low_e"],
        endline_ci_high=m["ci_high_e"],
        change=change,
        se=se,
        ci_low=change - half,
        ci_high=change + half,
        df=DF,
        p_value=p,
        significant=p < 0.05,
        method=np.where(
            m["indicator"].isin(composite),
            "independent samples: sqrt(se_b^2 + se_e^2)",
            "linearised, stacked design",
        ),
    )
    inds = load_indicators(str(catalogue_path or REPO / "config" / "indicators.yaml"))
    return change_flags(
        out, rounds, inds, baseline="baseline", endline="endline", level=0.95, power=0.8
    )


def write_change(
    dest: str | Path,
    *,
    hostile: bool = False,
    synthetic: tuple[bool, bool] = (True, True),
    revisits: str | None = None,
    with_figures: bool = True,
) -> dict[str, Any]:
    """Write both fixture rounds and their change under *dest*; return the arguments of
    :func:`hhsurvey.outputs.change_report.render_change_report` (without ``out``)."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    doc = yaml.safe_load((REPO / "config" / "indicators.yaml").read_text(encoding="utf-8"))
    if hostile:
        for e in doc["indicators"]:
            if e["id"] == "coverage_any":
                e["label"] = HOSTILE_LABEL
    catalogue_path = dest / "indicators.yaml"
    catalogue_path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "utf-8")
    config = merged_config()
    national = load_national(REPO / "raw" / "reference" / "national_lao.csv")
    rounds_ind = make_rounds(doc["indicators"])
    paths: dict[str, Any] = {}
    for role in ROLES:
        d = dest / role
        d.mkdir(exist_ok=True)
        rounds_ind[role].to_csv(d / "indicators.csv", index=False)
        comparison = compare_national(rounds_ind[role], national, role, level=0.95)
        if hostile and role == "baseline":
            comparison.loc[comparison["status"] != "no national figure", "source"] = HOSTILE_SOURCE
        comparison.to_csv(d / "national_comparison.csv", index=False)
        pd.DataFrame(
            {
                "table": ["household", "person"],
                "file": ["hh.sav", "persons.sav"],
                "sha256": [hashlib.sha256(f"{role} {t}".encode()).hexdigest() for t in "hp"],
                "rows": [300, 1400],
            }
        ).to_csv(d / "manifest.csv", index=False)
        paths[role] = {
            "indicators": str(d / "indicators.csv"),
            "comparison": str(d / "national_comparison.csv"),
            "manifest": str(d / "manifest.csv"),
        }
    change = make_change(doc["indicators"], rounds_ind, catalogue_path)
    change.to_csv(dest / "indicators_change.csv", index=False)

    rounds = {}
    cpi = {int(k): float(v) for k, v in config["prices"]["cpi"].items()}
    for role, synth in zip(ROLES, synthetic, strict=True):
        rc = dict(config["rounds"][role], name=role, synthetic=synth)
        rc["price_factor"] = cpi[int(config["prices"]["base_year"])] / cpi[int(rc["price_year"])]
        rc["revisits"] = revisits if role == "endline" else None
        rounds[role] = rc

    (dest / "figures").mkdir(exist_ok=True)
    figure_paths = [str(dest / "figures" / f"{n}.svg") for n in FIGURES]
    if with_figures:
        flags = {role: round_flags(rounds_ind[role]) for role in ROLES}
        frame = headline_frame(load_catalogue(catalogue_path), change, flags)
        labels = {"baseline": "Baseline (2013)", "endline": "Endline (2019)"}
        save_svg(change_dumbbell(frame, labels, {"lak": "LAK at 2013 prices"}), figure_paths[0])
    paths |= {
        "change": str(dest / "indicators_change.csv"),
        "catalogue": str(catalogue_path),
        "national": str(REPO / "raw" / "reference" / "national_lao.csv"),
        "config_files": [
            str(REPO / "config" / "config.yaml"),
            str(REPO / "config" / "endline.yaml"),
        ],
    }
    return {
        "paths": paths,
        "rounds": rounds,
        "figure_names": FIGURES,
        "figure_paths": figure_paths,
        "config": config,
    } | rf.template_args("change.html.j2")
