"""Demo workflow time: `snakemake --cores 2` on the demo config, from a finished environment.

The repository is copied to a scratch folder (as the workflow tests do); each run starts with
`results/` and `.snakemake/` removed and `SOURCE_DATE_EPOCH=1700000000`. For every run the
script records the wall time, the CPU time of Snakemake and every job (user + sys of the whole
process tree) and the load average of the machine when it started; per rule, the wall and CPU
seconds of its jobs from Snakemake's benchmark files (summed over the languages of the
briefs). It prints markdown: the runs with their median, then the per-rule medians, with the
share of the PDF printing (rule print, one job per round).

    .venv/bin/python benchmarks/time_demo.py              # three runs
    .venv/bin/python benchmarks/time_demo.py --runs 5 --cores 2
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "support"))

from workflow_tools import copy_repo  # noqa: E402  (the workflow tests' copy of the repository)

PRINT_RULES = ("print",)  # benchmark folder of the print_<round> rules


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def one_run(work: Path, cores: int) -> dict:
    """Run the demo once from nothing; wall, CPU, load and per-rule benchmarks."""
    for d in ("results", ".snakemake"):
        shutil.rmtree(work / d, ignore_errors=True)
    load = os.getloadavg()[0]
    cpu0, t0 = children_cpu(), time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", str(cores)],
        cwd=work,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"},
        capture_output=True,
        text=True,
    )
    wall, cpu = time.perf_counter() - t0, children_cpu() - cpu0
    if proc.returncode != 0:
        sys.exit(f"snakemake failed:\n{proc.stderr[-3000:]}")
    rules = {}
    for d in sorted((work / "results" / "benchmarks").iterdir()):
        b = pd.concat([pd.read_csv(f, sep="\t") for f in d.glob("*.tsv")])
        rules[d.name] = (float(b["s"].sum()), float(b["cpu_time"].sum()), len(b))
    return {"wall": wall, "cpu": cpu, "load": load, "rules": rules}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--scratch", type=Path, default=None)
    args = ap.parse_args()
    scratch = (args.scratch or Path(tempfile.mkdtemp(prefix="hhsurvey_demo_"))).resolve()
    work = scratch / "repo"
    if work.exists():
        shutil.rmtree(work)
    copy_repo(work)
    runs = []
    for i in range(args.runs):
        runs.append(one_run(work, args.cores))
        r = runs[-1]
        print(f"run {i + 1}: {r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU", file=sys.stderr)
    med = statistics.median
    out = [
        "| run | wall (s) | CPU (s) | load average at start | PDF jobs wall (s) | PDF jobs CPU (s) |"
    ]
    out.append("|---|---:|---:|---:|---:|---:|")
    for i, r in enumerate(runs, 1):
        pw = sum(r["rules"].get(p, (0, 0, 0))[0] for p in PRINT_RULES)
        pc = sum(r["rules"].get(p, (0, 0, 0))[1] for p in PRINT_RULES)
        out.append(
            f"| {i} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['load']:.1f} | {pw:.1f} | {pc:.1f} |"
        )
    out.append(
        f"| median | {med(r['wall'] for r in runs):.1f} | {med(r['cpu'] for r in runs):.1f} | "
        f"{med(r['load'] for r in runs):.1f} | | |"
    )
    out += ["", "| rule | jobs | wall (s), median | CPU (s), median |", "|---|---:|---:|---:|"]
    for rule in runs[0]["rules"]:
        vals = [r["rules"][rule] for r in runs if rule in r["rules"]]
        out.append(
            f"| {rule} | {vals[0][2]} | {med(v[0] for v in vals):.1f} | "
            f"{med(v[1] for v in vals):.1f} |"
        )
    print("\n".join(out))
    shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
