"""Whole-workflow scale benchmark: the demo baseline drawn 10x, 100x and 1000x larger.

For each scale the simulator writes a raw round into a scratch folder outside the repository
(`python -m hhsurvey.simulate --round baseline --out DIR --scale N`), the repository is copied
next to it (as the workflow tests do), DIR is linked into the copy's raw/ (a round's raw_dir
must lie under raw/, docs/security.md), and `snakemake --cores 2` runs the whole workflow on it
with the config override `rounds.baseline.raw_dir: raw/scale`: every rule of the demo config, the
scenarios, the report and its PDF, the briefs in every language and their PDFs. Every rule
writes a Snakemake benchmark file (`results/benchmarks/{rule}/{round}[_{lang}].tsv`: wall time,
max RSS); a second, short run then redoes only `ingest_round` with `report.show_verbatim: false`
(every free-text answer withheld instead of redacted). The script prints one markdown row per
scale: households, persons, seconds per rule (summed over the languages of the briefs), the
whole run's wall time, the largest RSS of any job (Snakemake's benchmark files) and the peak
resident memory of the whole run (Snakemake and every job at once, sampled five times a second).

    .venv/bin/python benchmarks/run_scale.py                    # scales 1 10 100 1000
    .venv/bin/python benchmarks/run_scale.py --scales 10 100 --scratch /tmp/hhscale --keep

Generated raw folders are reused between runs when their manifest matches (the simulator is
deterministic given the scale), so a rerun only repeats the workflow.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "support"))

from workflow_tools import copy_repo  # noqa: E402  (the workflow tests' copy of the repository)

# Rules in the order of the workflow, with the short column names of the table.
SHORT = {
    "ingest_round": "ingest",
    "ingest_round (verbatim off)": "ingest, verbatim off",
    "validate_round": "validate",
    "clean_round": "clean",
    "compute_weights": "weights",
    "aggregate_households": "aggregate",
    "build_frames": "frames",
    "estimate_indicators": "indicators",
    "estimate_differences": "differences",
    "simulate_scenarios": "scenarios",
    "compare_national": "compare",
    "plan_endline": "planning",
    "plot_figures": "figures",
    "render_report": "report",
    "render_brief": "briefs",
    "render_summary": "summaries",
    "print": "PDFs",
}
RULES = list(SHORT)
ENV = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}


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
        env={**ENV, "PYTHONPATH": str(REPO / "scripts")},  # this checkout's library
        check=True,
        stdout=subprocess.DEVNULL,
    )
    elapsed = time.perf_counter() - t0
    done.write_text(f"{elapsed:.1f}")
    return elapsed


def children_cpu() -> float:
    """CPU seconds (user + sys) of the finished child processes and their descendants."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants now (shared pages counted in each
    process: an upper bound of what the tree holds)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def snakemake(work: Path, *args: str) -> tuple[float, float, int, float]:
    """Run Snakemake in ``work``; its wall time, the CPU time of Snakemake and every job, the
    exit code (output in snakemake.out) and the peak resident memory of the whole process tree
    in MB, sampled five times a second (Snakemake's own benchmark files sample a job every
    30 s once it has run for 15 s, so they can miss the peak of a long job)."""
    cpu0, t0 = children_cpu(), time.perf_counter()
    peak = 0
    with (work / "snakemake.out").open("a", encoding="utf-8") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "snakemake", *args],
            cwd=work,
            env=ENV,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
        while proc.poll() is None:
            peak = max(peak, tree_rss(proc.pid))
            time.sleep(0.2)
    elapsed, cpu = time.perf_counter() - t0, children_cpu() - cpu0
    return elapsed, cpu, proc.returncode, peak / 2**20


def run_workflow(raw: Path, work: Path, cores: int) -> tuple[float, float, int, float, dict]:
    """Copy the repository to ``work`` and run the whole workflow on ``raw``; then redo the
    ingest with ``show_verbatim: false``. Returns the first run's wall time, CPU time, exit
    code and peak memory of the process tree (MB), and the per-rule benchmarks of both."""
    if work.exists():
        shutil.rmtree(work)
    copy_repo(work)
    (work / "raw" / "scale").symlink_to(raw, target_is_directory=True)
    cfg = work / "scale.yaml"
    cfg.write_text("rounds:\n  baseline:\n    raw_dir: raw/scale\n", encoding="utf-8")
    off = work / "verbatim_off.yaml"
    off.write_text("report:\n  show_verbatim: false\n", encoding="utf-8")
    total, cpu, rc, peak = snakemake(work, "--cores", str(cores), "--configfile", str(cfg))
    bench = benchmarks(work)
    if rc == 0:
        _, _, rc_off, _ = snakemake(
            work, "--cores", str(cores), "--configfile", str(cfg), str(off),
            "--until", "ingest_round", "--forcerun", "ingest_round",
        )  # fmt: skip
        if rc_off == 0:
            bench["ingest_round (verbatim off)"] = benchmarks(work)["ingest_round"]
    return total, cpu, rc, peak, bench


def benchmarks(work: Path) -> dict[str, tuple[float, float, float]]:
    """Per rule: wall seconds and CPU seconds summed over its jobs, and max RSS in MB, from
    Snakemake's benchmark files."""
    out = {}
    for rule in RULES:
        files = sorted((work / "results" / "benchmarks" / rule).glob("baseline*.tsv"))
        if files:
            b = pd.concat([pd.read_csv(f, sep="\t") for f in files])
            out[rule] = (
                float(b["s"].sum()),
                float(pd.to_numeric(b["cpu_time"]).sum()),
                float(pd.to_numeric(b["max_rss"]).max()),
            )
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
    header = "| scale | households | persons | " + " | ".join(SHORT[r] for r in RULES)
    rows = {
        "wall": [
            header + " | total (s) | peak RSS, one job (MB) | peak RSS, whole run (MB) |",
            "|" + "---:|" * (len(RULES) + 4) + "---|---:|",
        ],
        "cpu": [header + " | total (s) |", "|" + "---:|" * (len(RULES) + 4)],
    }  # fmt: skip
    for scale in args.scales:
        raw = scratch / f"raw_x{scale}"
        gen = generate(scale, raw)
        work = scratch / f"repo_x{scale}"
        total, cpu, rc, tree_peak, bench = run_workflow(raw, work, args.cores)
        if rc != 0:
            print(f"scale {scale}: the workflow failed (see {work}/snakemake.out)", file=sys.stderr)
        hh, persons = sizes(work)
        peak = max(bench, key=lambda r: bench[r][2], default=None)
        rss = f"{bench[peak][2]:,.0f} ({SHORT[peak]})" if peak else "n/a"
        wall_last = f"{total:.1f} | {rss} | {tree_peak:,.0f}"
        for kind, col, last in (("wall", 0, wall_last), ("cpu", 1, f"{cpu:.1f}")):
            cells = [f"{bench[r][col]:.1f}" if r in bench else "n/a" for r in RULES]
            rows[kind].append(f"| {scale}x | {hh:,} | {persons:,} | {' | '.join(cells)} | {last} |")
            print(rows[kind][-1], file=sys.stderr, flush=True)
        print(f"scale {scale}: generated in {gen:.0f} s, workflow {total:.1f} s", file=sys.stderr)
        if not args.keep:
            shutil.rmtree(work)
    print("Wall seconds per rule (each job's wall time, Python start-up included):\n")
    print("\n".join(rows["wall"]))
    print("\nCPU seconds per rule (user + sys of each job; total: Snakemake and every job):\n")
    print("\n".join(rows["cpu"]))


if __name__ == "__main__":
    main()
