"""Benchmark of hhsurvey.engine.design against svy on 1.6M rows (not a test).

Data: the generator of shared/reference/bench/gen_data.py (seed 20261123; 100 strata x 20
PSUs, 800 rows per PSU; weight U(50,150) x U(0.9,1.1); y lognormal with a PSU effect; z
binary with a PSU effect; 5-level ``domain``), plus a 100-level ``domain100`` drawn after
the other columns so that those stay identical to the reference data.

Run (svy is optional and lives in its own venv, never in the project's dependencies):

    python3 -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install svy pandas scipy
    PYTHONPATH=scripts /tmp/benchvenv/bin/python benchmarks/bench_design.py [rows] [repeats]

Without svy installed the svy column reads "n/a". Each task is timed as the minimum over
repeats; "cold" calls use a new design object per repeat (no cached domain codes), "warm"
calls reuse one. Prints markdown tables (times, agreement) and the peak RSS.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from hhsurvey.engine.design import SurveyDesign

try:  # benchmark-only optional dependency
    import polars as pl
    import svy
except ImportError:  # pragma: no cover - depends on the environment
    svy = None
    pl = None

# shared/reference/METHODS.md section 7.2 (R survey 4.1-1 and svy 0.35.0, same data)
REFERENCE = {
    "mean(y)": (393.8877551, 5.148366471),
    "total(y)": (62_327_878_232, 915_718_228),
    "ratio(y, z)": (948.8952504, 7.017045252),
    "mean(y) by domain (5)": (318.6826782, 4.195336706),  # domain 1
}
REFERENCE_PROP_CI = (0.4097560808, 0.4204667937)


def make_data(n: int = 1_600_000, seed: int = 20261123) -> pd.DataFrame:
    """gen_data.py's synthetic sample (same draws), plus a 100-level domain."""
    n_strata, psu_per_stratum = 100, 20
    rng = np.random.default_rng(seed)
    n_psu = n_strata * psu_per_stratum
    psu = np.repeat(np.arange(n_psu), n // n_psu)
    stratum = psu // psu_per_stratum
    psu_eff = rng.normal(0, 0.5, n_psu)[psu]
    w_psu = rng.uniform(50, 150, n_psu)[psu]
    wgt = w_psu * rng.uniform(0.9, 1.1, n)
    domain = rng.integers(1, 6, n)
    y = np.exp(5 + psu_eff + 0.1 * domain + rng.normal(0, 1, n))
    z = (rng.uniform(size=n) < 1 / (1 + np.exp(-(-1 + psu_eff + 0.2 * domain)))).astype(np.int64)
    domain100 = rng.integers(1, 101, n)
    return pd.DataFrame(
        {
            "stratum": stratum.astype(np.int64),
            "psu": psu.astype(np.int64),
            "wgt": wgt,
            "domain": domain.astype(np.int64),
            "y": y,
            "z": z,
            "domain100": domain100.astype(np.int64),
        }
    )


def best(
    f: Callable[[], Any], reps: int, setup: Callable[[], Any] | None = None
) -> tuple[float, Any]:
    """Minimum wall time of f over reps (setup, if any, runs untimed before each call)."""
    times, out = [], None
    for _ in range(reps):
        arg = setup() if setup else None
        t = time.perf_counter()
        out = f(arg) if setup else f()
        times.append(time.perf_counter() - t)
    return min(times), out


def svy_row(est: Any, level: Any = None) -> tuple[float, float]:
    """(estimate, se) from an svy Estimate, optionally at one level of the first column."""
    t = est.to_polars()
    if level is not None:
        t = t.filter(pl.col(t.columns[0]) == level)
    return float(t["est"][0]), float(t["se"][0])


def main(n: int = 1_600_000, reps: int = 5) -> None:
    df = make_data(n)
    G = int(df["psu"].max()) + 1
    psu, w = df["psu"].to_numpy(), df["wgt"].to_numpy()
    t_bincount, _ = best(lambda: np.bincount(psu, weights=w, minlength=G), max(reps, 7))

    def design() -> SurveyDesign:
        return SurveyDesign(df, weight="wgt", strata="stratum", psu="psu")

    t_design, d = best(design, reps)
    tasks: dict[str, Callable[[SurveyDesign], pd.DataFrame]] = {
        "mean(y)": lambda x: x.mean("y"),
        "proportion(z), logit CI": lambda x: x.proportion("z"),
        "ratio(y, z)": lambda x: x.ratio("y", "z"),
        "total(y)": lambda x: x.total("y"),
        "mean(y) by domain (5)": lambda x: x.mean("y", by="domain"),
        "mean(y) by domain (100)": lambda x: x.mean("y", by="domain100"),
    }
    ours: dict[str, tuple[float, float, pd.DataFrame]] = {}
    for name, f in tasks.items():
        cold, res = best(f, reps, setup=design)
        warm, _ = best(lambda f=f: f(d), reps)
        ours[name] = (cold, warm, res)
    t_jk_build, rd = best(lambda: d.replicates("jkn"), reps)
    cold, res = best(lambda x: x.mean("y"), reps, setup=lambda: design().replicates("jkn"))
    warm, _ = best(lambda: rd.mean("y"), reps)
    ours["JKn replicate mean(y)"] = (cold, warm, res)
    t_bs_build, rb = best(lambda: d.replicates("bootstrap", n=100, seed=1), reps)
    cold, res = best(
        lambda x: x.mean("y"), reps, setup=lambda: design().replicates("bootstrap", n=100, seed=1)
    )
    warm, _ = best(lambda: rb.mean("y"), reps)
    ours["bootstrap (100) mean(y)"] = (cold, warm, res)

    theirs: dict[str, tuple[float, tuple[float, float] | None]] = {}
    t_svy_design = t_svy_jk = t_svy_bs = float("nan")
    if svy is not None:
        pdf = pl.from_pandas(df)
        t_svy_design, s = best(
            lambda: svy.Sample(pdf, svy.Design(stratum="stratum", psu="psu", wgt="wgt")), reps
        )
        svy_tasks = {
            "mean(y)": (lambda: s.estimation.mean("y"), None),
            "proportion(z), logit CI": (lambda: s.estimation.prop("z"), 1),
            "ratio(y, z)": (lambda: s.estimation.ratio("y", "z"), None),
            "total(y)": (lambda: s.estimation.total("y"), None),
            "mean(y) by domain (5)": (lambda: s.estimation.mean("y", by="domain"), 1),
            "mean(y) by domain (100)": (lambda: s.estimation.mean("y", by="domain100"), 1),
        }
        for name, (f, level) in svy_tasks.items():
            t, est = best(f, reps)
            theirs[name] = (t, svy_row(est, level))
        # svy stores replicate weights as columns: JKn needs G columns of n doubles
        if G * n * 8 < 4e9:
            t_svy_jk, sj = best(lambda: s.weighting.create_jk_wgts(stratum="stratum", psu="psu"), 1)
            t, est = best(lambda: sj.estimation.mean("y", method="replication"), reps)
            theirs["JKn replicate mean(y)"] = (t, svy_row(est))
            del sj
        t_svy_bs, sb = best(
            lambda: s.weighting.create_bs_wgts(100, stratum="stratum", psu="psu", rstate=1), 1
        )
        t, est = best(lambda: sb.estimation.mean("y", method="replication"), reps)
        theirs["bootstrap (100) mean(y)"] = (t, svy_row(est))

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"rows={n:,}  strata=100  PSUs={G:,}  repeats={reps}  numpy {np.__version__}  pandas {pd.__version__}"
    )
    print(f"svy: {getattr(svy, '__version__', 'not installed')}")
    print(f"single np.bincount(psu, weights=w) pass: {t_bincount * 1e3:.2f} ms\n")
    print(
        "| task | hhsurvey cold (s) | hhsurvey warm (s) | svy (s) | svy / hhsurvey cold | hhsurvey cold / bincount |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    print(
        f"| build design | {t_design:.3f} | | {t_svy_design:.3f} | {t_svy_design / t_design:.1f} | |"
    )
    for name, (cold, warm, _) in ours.items():
        st = theirs.get(name, (float("nan"), None))[0]
        print(
            f"| {name} | {cold:.4f} | {warm:.4f} | {st:.4f} | {st / cold:.1f} | {cold / t_bincount:.1f} |"
        )
    jk_note = (
        f"{t_svy_jk:.3f} (1 run)"
        if t_svy_jk == t_svy_jk
        else f"n/a: {G} x {n:,} doubles = {G * n * 8 / 2**30:.0f} GiB"
    )
    print(f"| create JKn replicates ({G} PSUs) | {t_jk_build:.4f} | | {jk_note} | | |")
    print(
        f"| create 100 bootstrap replicates | {t_bs_build:.4f} | | {t_svy_bs:.3f} (1 run) | {t_svy_bs / t_bs_build:.0f} | |"
    )
    print(f"\npeak RSS: {rss_mb:.0f} MB (whole run, both engines)\n")

    print(
        "| task | hhsurvey estimate | hhsurvey SE | rel. diff estimate vs svy | rel. diff SE vs svy | rel. diff vs METHODS.md (est, SE) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, (_, _, res) in ours.items():
        row = res.iloc[0]
        est, se = float(row["estimate"]), float(row["se"])
        other = theirs.get(name, (None, None))[1]
        de = f"{abs(est - other[0]) / abs(other[0]):.1e}" if other else "n/a"
        ds = f"{abs(se - other[1]) / abs(other[1]):.1e}" if other else "n/a"
        ref = REFERENCE.get(name)
        dr = f"{abs(est - ref[0]) / ref[0]:.1e}, {abs(se - ref[1]) / ref[1]:.1e}" if ref else ""
        print(f"| {name} | {est:.10g} | {se:.10g} | {de} | {ds} | {dr} |")
    p = ours["proportion(z), logit CI"][2].iloc[0]
    print(
        f"\nlogit CI for z: [{p.ci_low:.10f}, {p.ci_high:.10f}]  (METHODS.md: {list(REFERENCE_PROP_CI)})"
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
