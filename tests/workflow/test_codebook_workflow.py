"""A round another firm delivered, through the whole workflow: the drafted codebook gives the
original indicators, and ingest reports every problem at once (see tests/unit/survey/test_codebook_cli.py).
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml
from byo_round import planted_round, resolve


@pytest.mark.slow
def test_workflow_gives_the_original_indicators(byo, tmp_path, monkeypatch):
    """The resolved codebook of the converted round, run through ingest..estimate_indicators in
    the same Snakemake run as the original round: indicators.csv identical."""
    from workflow_tools import copy_repo, snakemake

    root = copy_repo(tmp_path / "repo")
    # the jobs import this copy's library, not an installed one
    monkeypatch.setenv("PYTHONPATH", str(root / "scripts"))
    shutil.copytree(byo["raw"], root / "raw" / "byo")
    doc = resolve(yaml.safe_load(byo["text"]), byo["renames"])
    (root / "config/codebooks/byo.yaml").write_text(
        yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    base = yaml.safe_load((root / "config/config.yaml").read_text(encoding="utf-8"))
    byo_round = {
        **base["rounds"]["baseline"],
        "raw_dir": "raw/byo",
        "codebook": "config/codebooks/byo.yaml",
    }
    (root / "byo.yaml").write_text(
        yaml.safe_dump({"analyse": ["baseline", "byo"], "rounds": {"byo": byo_round}}),
        encoding="utf-8",
    )
    snakemake(
        root,
        "--cores",
        "2",
        "results/baseline/indicators.csv",
        "results/byo/indicators.csv",
        "results/baseline/endline_planning.csv",
        "--configfile",
        "byo.yaml",
    )
    a = pd.read_csv(root / "results/baseline/indicators.csv")
    b = pd.read_csv(root / "results/byo/indicators.csv")
    pd.testing.assert_frame_equal(a, b)
    # the plan_endline rule's CSV against the hand computation (tests/support/planning_hand.py)
    from planning_hand import hand

    plan = pd.read_csv(root / "results/baseline/endline_planning.csv").set_index("indicator")
    hh = pd.read_parquet(root / "results/baseline/households.parquet")
    cfg = base["planning"]
    total = a[a["domain"] == "total"].set_index("indicator")
    for ind in ("coverage_any", "care_seeking"):
        t = total.loc[ind]
        h = hand(
            t["estimate"], t["se"], t["deff"], t["df"], t["n_unweighted"],
            cfg["target_change"][ind], villages=hh["village"].nunique(), households=len(hh),
            strata=hh["area"].nunique(), A=cfg["endline_villages"],
            B=cfg["endline_households_per_village"], r=cfg["revisit_correlation"],
        )  # fmt: skip
        for k, v in h.items():
            assert plan.loc[ind, k] == pytest.approx(v, rel=1e-9, nan_ok=True), (ind, k)


@pytest.mark.slow
def test_ingest_reports_every_problem_at_once(tmp_path, monkeypatch):
    """The ingest rule runs the same check: all five planted problems in one job log."""
    from workflow_tools import copy_repo, snakemake

    root = copy_repo(tmp_path / "repo")
    # the jobs import this copy's library, not an installed one
    monkeypatch.setenv("PYTHONPATH", str(root / "scripts"))
    planted = planted_round(tmp_path / "planted")
    shutil.rmtree(root / "raw" / "demo" / "baseline")
    shutil.copytree(tmp_path / "planted" / "raw", root / "raw" / "demo" / "baseline")
    assert planted.exists()
    proc = snakemake(root, "--cores", "1", "results/baseline/ingest/manifest.csv", check=False)
    assert proc.returncode != 0
    log = (root / "results/logs/ingest_round/baseline.log").read_text(encoding="utf-8")
    assert "Traceback" not in log + proc.stderr
    assert "ERROR: 5 problems between the round's files and its codebook" in log, log
    for kind in (
        "name_case",
        "label_contradiction",
        "missing_variable",
        "unmapped_code",
        "file_format",
    ):
        assert f"[{kind}]" in log, log
