"""The engine against samplics 0.6.1 and svy 0.35.0 on the tasks they share (issue 25; not a test).

Data (:func:`make_data`, seed 20261207): ``rows`` persons in 31 strata x 2 PSUs (NHANES II's
design), rows stored in PSU order; weight U(50, 150) by PSU x U(0.9, 1.1); ``y`` lognormal and
``z`` binary with a PSU effect; ``x`` U(1, 2); a 5-level ``dom``; a 4-level text ``cat``;
``ym`` = ``y`` with 5 % of the rows missing (for the Stata convention).

Tasks: the Taylor estimators (mean, total, proportion, ratio, mean by 5 domains), every level of
a categorical variable, a two-way table with the Rao-Scott tests, a linear regression, creating
BRR replicates from strata and PSUs, a mean from supplied BRR weights (the design built from
them included), and a mean with missing values under Stata's convention (rows dropped, design
df). Every tool computes the same SE (checked with ``--check``: the largest relative
difference of each task's SE against the engine's is printed).

samplics and svy are benchmark-only: install them with pip (never in pyproject.toml or the lock):

    .venv/bin/pip install samplics==0.6.1 svy==0.35.0
    PYTHONPATH=scripts .venv/bin/python benchmarks/bench_peers.py 1000000 5        # times
    PYTHONPATH=scripts .venv/bin/python benchmarks/bench_peers.py 20000 1 --check  # SEs

samplics' ``CrossTabulation`` fails under polars 2 (``ShapeError``), which svy 0.35 requires;
its two-way table is timed in a venv of its own with polars 1.37:

    python3 -m venv /tmp/samplics-pl1 && /tmp/samplics-pl1/bin/pip install samplics==0.6.1 \\
        polars==1.37.1 pandas scipy
    PYTHONPATH=scripts /tmp/samplics-pl1/bin/python benchmarks/bench_peers.py 1000000 5 \\
        --tasks crosstab --tools samplics

Each time is the minimum over ``repeats`` runs; the engine's calls are "cold" (a new design
object per run, so no cached domain codes). A tool without a task reads ``n/a``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")

try:
    from hhsurvey.engine.design import SurveyDesign
except ImportError:  # the samplics-only venv of the two-way table
    SurveyDesign = None
try:
    import polars as pl
    import svy
except ImportError:
    svy = None
try:
    import samplics as sp
except ImportError:
    sp = None

H = 31
TASKS = (
    "build design",
    "mean(y)",
    "total(y)",
    "proportion(z)",
    "ratio(y, x)",
    "mean(y) by domain (5)",
    "categorical (4 levels)",
    "crosstab + Rao-Scott",
    "linear regression",
    "create BRR replicates",
    "create BRR replicates (15 strata)",
    "mean(y), supplied BRR weights",
    "mean(ym), Stata convention",
)
SHORT = {"crosstab": "crosstab + Rao-Scott"}


def make_data(n: int, seed: int = 20261207) -> pd.DataFrame:
    """The synthetic sample of the module docstring."""
    rng = np.random.default_rng(seed)
    G = 2 * H
    psu = np.sort(rng.integers(0, G, n))
    eff = rng.normal(0, 0.4, G)[psu]
    w = rng.uniform(50, 150, G)[psu] * rng.uniform(0.9, 1.1, n)
    y = np.exp(4 + eff + rng.normal(0, 1, n))
    z = (rng.uniform(size=n) < 1 / (1 + np.exp(-(eff - 0.3)))).astype(np.float64)
    df = pd.DataFrame(
        {
            "h": psu // 2,
            "p": psu,
            "w": w,
            "y": y,
            "z": z,
            "x": rng.uniform(1, 2, n),
            "dom": rng.integers(1, 6, n),
            "cat": rng.choice(np.array(["a", "b", "c", "d"]), n),
        }
    )
    df["ym"] = df["y"].where(rng.uniform(size=n) > 0.05)
    return df


def fifteen(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of the first 15 strata (samplics 0.6.1 generates BRR replicates for at most 15
    strata: an IndexError above)."""
    return df[df["h"] < 15]


# ----------------------------------------------------------------------------- the tools
def engine_tasks(df: pd.DataFrame, rw: np.ndarray) -> dict[str, Callable[[], Any]]:
    def d() -> SurveyDesign:
        return SurveyDesign(df, "w", strata="h", psu="p")

    def cold(f: Callable[[SurveyDesign], Any]) -> tuple[Callable[[], Any], Callable[[Any], Any]]:
        """A new design per run, built before the clock starts."""
        return (d, f)

    def stata() -> SurveyDesign:
        return SurveyDesign(df, "w", strata="h", psu="p", convention="stata")

    return {
        "build design": d,
        "mean(y)": cold(lambda x: x.mean("y")["se"].iloc[0]),
        "total(y)": cold(lambda x: x.total("y")["se"].iloc[0]),
        "proportion(z)": cold(lambda x: x.proportion("z")["se"].iloc[0]),
        "ratio(y, x)": cold(lambda x: x.ratio("y", "x")["se"].iloc[0]),
        "mean(y) by domain (5)": cold(lambda x: x.mean("y", by="dom")["se"].to_numpy()),
        "categorical (4 levels)": cold(lambda x: x.categorical("cat")["se"].to_numpy()),
        "crosstab + Rao-Scott": cold(lambda x: x.crosstab("cat", "z").tests["statistic"].iloc[0]),
        "linear regression": cold(lambda x: x.linear("y", ["x", "z"])["se"].to_numpy()),
        "create BRR replicates": cold(lambda x: x.replicates("brr")),
        "create BRR replicates (15 strata)": (
            lambda: SurveyDesign(fifteen(df), "w", strata="h", psu="p"),
            lambda x: x.replicates("brr"),
        ),
        "mean(y), supplied BRR weights": lambda: (
            SurveyDesign(df, "w").with_replicate_weights(rw, type="brr").mean("y")["se"].iloc[0]
        ),
        "mean(ym), Stata convention": (stata, lambda x: x.mean("ym")["se"].iloc[0]),
    }


def samplics_tasks(df: pd.DataFrame, rw: np.ndarray) -> dict[str, Callable[[], Any]]:
    a = {c: df[c].to_numpy() for c in df.columns}
    design = {"samp_weight": a["w"], "stratum": a["h"], "psu": a["p"]}

    def taylor(param, y, **kw) -> Callable[[], Any]:
        def run():
            est = sp.TaylorEstimator(param)
            est.estimate(y=a[y], **design, **kw)
            return est.stderror

        return run

    def tab():
        t = sp.Tabulation(sp.PopParam.prop)
        t.tabulate(vars=a["cat"], **design)
        return t.stderror

    def cross():
        t = sp.CrossTabulation(sp.PopParam.prop)
        t.tabulate(vars=df[["cat", "z"]], varnames=["cat", "z"], **design)
        return t.stats

    def glm():
        g = sp.SurveyGLM(sp.ModelType.LINEAR)
        g.estimate(y=a["y"], x=df[["x", "z"]].to_numpy(), add_intercept=True, **design)
        return g.beta["stderror"]

    def brr(data: pd.DataFrame) -> Callable[[], Any]:
        return lambda: sp.ReplicateWeight(sp.RepMethod.brr, strat=True).replicate(
            samp_weight=data["w"].to_numpy(), psu=data["p"].to_numpy(), stratum=data["h"].to_numpy()
        )

    def supplied():
        est = sp.ReplicateEstimator(sp.RepMethod.brr, sp.PopParam.mean)
        est.estimate(y=a["y"], samp_weight=a["w"], rep_weights=rw)
        return est.stderror

    return {
        "mean(y)": taylor(sp.PopParam.mean, "y"),
        "total(y)": taylor(sp.PopParam.total, "y"),
        "proportion(z)": taylor(sp.PopParam.prop, "z"),
        "ratio(y, x)": taylor(sp.PopParam.ratio, "y", x=a["x"]),
        "mean(y) by domain (5)": taylor(sp.PopParam.mean, "y", domain=a["dom"]),
        "categorical (4 levels)": tab,
        "crosstab + Rao-Scott": cross,
        "linear regression": glm,
        "create BRR replicates": brr(df),
        "create BRR replicates (15 strata)": brr(fifteen(df)),
        "mean(y), supplied BRR weights": supplied,
        "mean(ym), Stata convention": taylor(sp.PopParam.mean, "ym", remove_nan=True),
    }


def svy_tasks(df: pd.DataFrame, rw: np.ndarray) -> dict[str, Callable[[], Any]]:
    frame = pl.from_pandas(df)
    cols = [f"brr_{j + 1}" for j in range(rw.shape[1])]
    with_rw = pl.concat([frame, pl.from_numpy(rw, schema=cols)], how="horizontal")

    def s():
        return svy.Sample(frame, svy.Design(stratum="h", psu="p", wgt="w"))

    S = s()
    frame15 = pl.from_pandas(fifteen(df))

    def supplied():
        rep = svy.BrrWgts(prefix="brr_", n_reps=rw.shape[1])
        return svy.Sample(with_rw, svy.Design(wgt="w", rep_wgts=rep)).estimation.mean(
            "y", method="replication"
        )

    return {
        "build design": s,
        "mean(y)": lambda: S.estimation.mean("y"),
        "total(y)": lambda: S.estimation.total("y"),
        "proportion(z)": lambda: S.estimation.prop("z"),
        "ratio(y, x)": lambda: S.estimation.ratio("y", "x"),
        "mean(y) by domain (5)": lambda: S.estimation.mean("y", by="dom"),
        "categorical (4 levels)": lambda: S.categorical.tabulate("cat"),
        "crosstab + Rao-Scott": lambda: S.categorical.tabulate("cat", "z").stats,
        "linear regression": lambda: S.glm.fit("y", x=["x", "z"]),
        "create BRR replicates": lambda: s().weighting.create_brr_wgts(),
        "create BRR replicates (15 strata)": lambda: svy.Sample(
            frame15, svy.Design(stratum="h", psu="p", wgt="w")
        ).weighting.create_brr_wgts(),
        "mean(y), supplied BRR weights": supplied,
        "mean(ym), Stata convention": lambda: S.estimation.mean("ym", drop_nulls=True),
    }


# ----------------------------------------------------------------------------- timing
def call(task: Any) -> Any:
    """Run a task: a callable, or (setup, run) with ``run(setup())``."""
    if isinstance(task, tuple):
        setup, run = task
        return run(setup())
    return task()


def best(task: Any, repeats: int) -> float:
    """Minimum time over ``repeats`` runs (a (setup, run) task: ``run`` alone is timed); NaN
    when the tool fails on the task."""
    times = []
    for _ in range(repeats):
        setup, run = task if isinstance(task, tuple) else (lambda: None, lambda _: task())
        arg = setup()
        t = time.perf_counter()
        try:
            run(arg)
        except Exception as e:  # a peer's bug is reported, not a crash of the benchmark
            print(f"  ({type(e).__name__}: {str(e)[:80]})", file=sys.stderr)
            return float("nan")
        times.append(time.perf_counter() - t)
    return min(times)


def shown(result: Any) -> str:
    """What a tool's result says of its SE, for ``--check``."""
    if hasattr(result, "coefs") and not callable(result.coefs):  # svy GLM
        return str([round(float(c.se), 10) for c in result.coefs])
    if hasattr(result, "to_polars"):
        table = result.to_polars()
        keep = [c for c in table.columns if c in ("se", "est", "cat", "rowvar")]
        return str(table.select(keep).to_dicts() if keep else table.head(4))
    return repr(result)


def brr_weights(df: pd.DataFrame) -> np.ndarray:
    """The engine's BRR replicate weights of the design, the supplied weights of every tool."""
    if SurveyDesign is not None:
        return SurveyDesign(df, "w", strata="h", psu="p").replicates("brr").replicate_weights
    from scipy.linalg import hadamard  # same matrix and rule, without the engine

    M = hadamard(32)[1 : H + 1]
    first = (df["p"].to_numpy() % 2) == 0
    sign = np.where(first[:, None], M[df["h"].to_numpy()], -M[df["h"].to_numpy()])
    return df["w"].to_numpy()[:, None] * np.where(sign > 0, 2.0, 0.0)


def row(task: str, t: dict[str, float]) -> str:
    """A markdown row: each tool's time and the peers' times over the engine's."""
    e = t.get("engine")
    cells, ratios = [], []
    for n in ("engine", "samplics", "svy"):
        if n not in t:
            cells.append("n/a")
        else:
            cells.append("fails" if np.isnan(t[n]) else f"{t[n]:.4f}")
    for n in ("samplics", "svy"):
        ok = n in t and e is not None and not np.isnan(t[n])
        ratios.append(f"{t[n] / e:.1f}" if ok else "")
    return f"| {task} | " + " | ".join(cells + ratios) + " |"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("rows", type=int, nargs="?", default=1_000_000)
    ap.add_argument("repeats", type=int, nargs="?", default=5)
    ap.add_argument("--tasks", nargs="*", default=None, help="task names (or 'crosstab')")
    ap.add_argument("--tools", nargs="*", default=["engine", "samplics", "svy"])
    ap.add_argument("--check", action="store_true", help="print each task's SE by tool")
    args = ap.parse_args()
    tasks = [SHORT.get(t, t) for t in args.tasks] if args.tasks else list(TASKS)
    df = make_data(args.rows)
    rw = brr_weights(df)
    builders = {
        "engine": (SurveyDesign is not None, engine_tasks),
        "samplics": (sp is not None, samplics_tasks),
        "svy": (svy is not None, svy_tasks),
    }
    tools = {
        name: make(df, rw) for name, (ok, make) in builders.items() if ok and name in args.tools
    }
    versions = {
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "samplics": getattr(sp, "__version__", "n/a"),
        "svy": getattr(svy, "__version__", "n/a"),
        "polars": getattr(sys.modules.get("polars"), "__version__", "n/a"),
    }
    print(f"rows={args.rows:,} strata={H} PSUs={2 * H} repeats={args.repeats} {versions}")
    if args.check:
        for task in tasks:
            print(f"\n{task}")
            for name, fns in tools.items():
                if task in fns:
                    try:
                        out = shown(call(fns[task]))
                    except Exception as e:
                        out = f"fails: {type(e).__name__}: {str(e)[:100]}"
                    print(f"  {name:9s} {out:.600}")
        return
    print("\n| task | engine (s) | samplics (s) | svy (s) | samplics / engine | svy / engine |")
    print("|---|---:|---:|---:|---:|---:|")
    for task in tasks:
        t = {n: best(fns[task], args.repeats) for n, fns in tools.items() if task in fns}
        print(row(task, t), flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
