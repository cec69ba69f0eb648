"""Whole-workflow scale benchmark: the demo baseline drawn 10x, 100x and 1000x larger.

For each scale the simulator writes a raw round into a scratch folder outside the repository
(`python -m hhsurvey.simulate --round baseline --out DIR --scale N`), the repository is copied
next to it (as the workflow tests do), DIR is linked into the copy's raw/ (a round's raw_dir
must lie under raw/, docs/security.md), and `snakemake --cores 2` runs the whole workflow on it
with the config override `rounds.baseline.raw_dir: raw/scale`. Every rule writes a Snakemake
benchmark file (`results/benchmarks/{rule}/{round}.tsv`: wall time, max RSS); this script
prints one markdown row per scale: households, persons, seconds per rule, the whole run's
wall time and the largest RSS of any job.

    .venv/bin/python benchmarks/run_scale.py                    # scales 1 10 100 1000
    .venv/bin/python benchmarks/run_scale.py --scales 10 100 --scratch /tmp/hhscale --keep

Generated raw folders are reused between runs when their manifest matches (the simulator is
deterministic given the scale), so a rerun only repeats the workflow.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "support"))

from workflow_tools import copy_repo  # noqa: E402  (the workflow tests' copy of the repository)

RULES = [
    "ingest_round",
    "validate_round",
    "clean_round",
    "compute_weights",
    "aggregate_households",
    "estimate_indicators",
    "compare_national",
    "plot_figures",
    "render_report",
]
SHORT = {
    "ingest_round": "ingest",
    "validate_round": "validate",
    "clean_round": "clean",
    "compute_weights": "weights",
    "aggregate_households": "aggregate",
    "estimate_indicators": "indicators",
    "compare_national": "compare",
    "plot_figures": "figures",
    "render_report": "report",
}


def generate(scale: int, out: Path) -> float:
    """Simulate the baseline round at ``scale`` into ``out`` (reused if complete)."""
    done = out / ".complete"
    if done.exists():
        return float(done.read_text())
    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "hhsurvey.simulate", "--round", "baseline"]
        + ["--out", str(out), "--scale", str(scale)],
        cwd=REPO,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    elapsed = time.perf_counter() - t0
    done.write_text(f"{elapsed:.1f}")
    return elapsed


def run_workflow(raw: Path, work: Path, cores: int) -> tuple[float, int]:
    """Copy the repository to ``work`` and run the whole workflow on ``raw``."""
    if work.exists():
        shutil.rmtree(work)
    copy_repo(work)
    (work / "raw" / "scale").symlink_to(raw, target_is_directory=True)
    cfg = work / "scale.yaml"
    cfg.write_text("rounds:\n  baseline:\n    raw_dir: raw/scale\n", encoding="utf-8")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", str(cores), "--configfile", str(cfg)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - t0
    (work / "snakemake.out").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    return elapsed, proc.returncode


def benchmarks(work: Path) -> dict[str, tuple[float, float]]:
    """Per rule: (wall seconds, max RSS in MB) from Snakemake's benchmark files."""
    out = {}
    for rule in RULES:
        f = work / "results" / "benchmarks" / rule / "baseline.tsv"
        if f.exists():
            b = pd.read_csv(f, sep="\t")
            out[rule] = (float(b["s"].iloc[0]), float(pd.to_numeric(b["max_rss"]).iloc[0]))
    return out


def sizes(work: Path) -> tuple[int, int]:
    """Households and persons in the raw files (ingest manifest)."""
    m = pd.read_csv(work / "results" / "baseline" / "ingest" / "manifest.csv")
    rows = m.set_index("table")["rows"]
    return int(rows["household"]), int(rows["person"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100, 1000])
    ap.add_argument(
        "--scratch", type=Path, default=None, help="scratch folder (default: a temp dir)"
    )
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the copied repositories")
    args = ap.parse_args()
    scratch = args.scratch or Path(tempfile.gettempdir()) / "hhsurvey_scale"
    scratch = scratch.resolve()
    if REPO in scratch.parents or scratch == REPO:
        sys.exit("the scratch folder must be outside the repository")
    scratch.mkdir(parents=True, exist_ok=True)
    header = (
        "| scale | households | persons | "
        + " | ".join(SHORT[r] for r in RULES)
        + " | total (s) | peak RSS (MB) |"
    )
    rows = [header, "|" + "---:|" * (len(RULES) + 5)]
    for scale in args.scales:
        raw = scratch / f"raw_x{scale}"
        gen = generate(scale, raw)
        work = scratch / f"repo_x{scale}"
        total, rc = run_workflow(raw, work, args.cores)
        if rc != 0:
            print(f"scale {scale}: the workflow failed (see {work}/snakemake.out)", file=sys.stderr)
        bench = benchmarks(work)
        hh, persons = sizes(work)
        cells = [f"{bench[r][0]:.1f}" if r in bench else "n/a" for r in RULES]
        peak = max((v[1] for v in bench.values()), default=float("nan"))
        rows.append(
            f"| {scale}x | {hh:,} | {persons:,} | "
            + " | ".join(cells)
            + f" | {total:.1f} | {peak:,.0f} |"
        )
        print(f"scale {scale}: generated in {gen:.0f} s, workflow {total:.1f} s", file=sys.stderr)
        if not args.keep:
            shutil.rmtree(work)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
