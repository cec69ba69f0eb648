"""Coverage study, larger run (not a test; the test is tests/unit/simulate/test_coverage_study.py).

Draws N samples (default 2,000) from the demo population with the real design (systematic PPS of
villages in frame order with certainty units, 15 households by systematic sampling, non-response
with the within-village adjustment) and N with the same design on a frame shuffled within strata
(random-order PPS), estimates care-seeking and mean annual household OOP with the design engine
and prints markdown tables:

1. coverage of the 95 % intervals, misses by side, bias, Monte-Carlo SD against the estimated
   SE, skewness, and the coverage a log-scale interval would have, for both studies;
2. the exact stage-1 variance of systematic PPS on the demo frame (enumerating the random start
   on a fine grid, whole villages, no stage 2) against the with-replacement variance that the
   engine's estimator approximates, by stratum, and the expectation over the random starts of
   two single-sample estimators: the engine's with-replacement one and the successive-difference
   one (Wolter, *Introduction to Variance Estimation*, 2nd ed., section 8.2: squared differences of
   neighbouring selected villages in frame order, the usual choice for systematic samples);
3. the real design and random-order PPS on other simulated populations (other master seeds,
   fewer samples each), to show which findings belong to the demo population.

Run:  .venv/bin/python benchmarks/coverage_study.py [samples] [populations] [samples_other]
      (defaults 2000, 8, 400; populations 0 skips table 3)
"""

from __future__ import annotations

import copy
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import test_coverage_study as cs  # noqa: E402  (the study's machinery lives with the test)

from hhsurvey.simulate.params import load_params  # noqa: E402
from hhsurvey.simulate.sample import pps_systematic  # noqa: E402

LABEL = {"care_seeking": "care-seeking", "oop_annual_hh_mean": "mean OOP (LAK)"}
ORDER = {"frame": "real design (frame order)", "random": "random-order PPS"}
OTHER_SEEDS = range(101, 200)


def fmt(x: float, k: str) -> str:
    return f"{x:,.0f}" if k == "oop_annual_hh_mean" else f"{x:.4f}"


def log_scale_coverage(res: pd.DataFrame, truth: float, level: float = cs.LEVEL) -> float:
    """Coverage of the delta-method interval on the log scale, exp(log est +- t se / est):
    an asymmetric alternative for a positive, right-skewed estimate (for care-seeking the
    engine's logit interval is already asymmetric; this column is for comparison)."""
    est, se, df = (res[c].to_numpy(float) for c in ("estimate", "se", "df"))
    half = stats.t.ppf(0.5 + level / 2, df) * se / est
    return float(((est * np.exp(-half) <= truth) & (truth <= est * np.exp(half))).mean())


def study_table(P: cs.Population, n: int, seed: np.random.SeedSequence) -> None:
    print(
        "| study | indicator | truth | coverage (MCSE) | CI below truth | CI above truth "
        "| mean estimate | bias (in MCSE) | relative bias | MC SD | RMS SE | MC var / est. var "
        "| skewness | corr(est, SE) | log-scale interval coverage | seconds |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for order, ss in zip(("frame", "random"), seed.spawn(2), strict=True):
        t0 = time.perf_counter()
        res = cs.run_study(P, n, np.random.default_rng(ss), order=order)
        secs = time.perf_counter() - t0
        for k in cs.INDICATORS:
            s = cs.summarise(res[k], P.truth[k])
            print(
                f"| {ORDER[order]} | {LABEL[k]} | {fmt(s['truth'], k)} "
                f"| {s['coverage']:.3f} ({s['coverage_mcse']:.3f}) | {s['miss_below']:.3f} "
                f"| {s['miss_above']:.3f} | {fmt(s['mean_estimate'], k)} "
                f"| {fmt(s['bias'], k)} ({s['bias_in_mcse']:+.2f}) | {s['relative_bias']:+.4f} "
                f"| {fmt(s['empirical_sd'], k)} | {fmt(s['rms_se'], k)} "
                f"| {s['variance_ratio']:.2f} | {s['skewness']:.2f} "
                f"| {s['corr_estimate_se']:.2f} | {log_scale_coverage(res[k], P.truth[k]):.3f} "
                f"| {secs:.1f} |"
            )


def stage1_rows(P: cs.Population, grid: int = 20_000) -> list[dict]:
    """Exact stage-1 variance of systematic PPS (whole villages), by indicator and stratum,
    with the with-replacement variance and the expectations of two single-sample estimators."""
    pop, params = P.pop, P.params
    fr = pop["frame"]
    alloc = {1: params["sample"]["villages_urban"], 2: params["sample"]["villages_rural"]}
    per, opd = pop["persons"], pop["opd"]
    X = per[per["ILL1"] == 1].groupby("HH1").size().reindex(fr["HH1"], fill_value=0)
    Y = opd[opd["OP1"] == 1].groupby("HH1").size().reindex(fr["HH1"], fill_value=0)
    hh = pop["hh"]
    oop = pd.Series(P.oop).groupby(hh["HH1"].to_numpy()).sum().reindex(fr["HH1"]).to_numpy()
    H = fr["hh_count"].to_numpy(float)
    X, Y = X.to_numpy(float), Y.to_numpy(float)
    lin = {  # linearised village totals and the denominator of each ratio
        "care_seeking": (Y - Y.sum() / X.sum() * X, X.sum()),
        "oop_annual_hh_mean": (oop - oop.sum() / H.sum() * H, H.sum()),
    }
    mos, area = fr["mos_hh"].to_numpy(float), fr["area"].to_numpy()
    rows = []
    for k, (z_all, den) in lin.items():
        for a, n in alloc.items():
            m = area == a
            z, s = z_all[m], mos[m]
            _, pi = pps_systematic(s, n, np.random.default_rng(0))
            rest = np.flatnonzero(pi < 1)
            nr = n - int((pi >= 1).sum())
            cum = np.cumsum(s[rest])
            step = cum[-1] / nr
            starts = (np.arange(grid) + 0.5) / grid * step
            pts = starts[:, None] + step * np.arange(nr)[None, :]
            pick = rest[np.searchsorted(cum, pts, side="right")]
            u = z[pick] / pi[pick]  # expanded village totals, in frame order
            p = s[rest] / cum[-1]
            rows.append(
                {
                    "indicator": k,
                    "stratum": "urban" if a == 1 else "rural",
                    "villages": int(m.sum()),
                    "certainty": int((pi >= 1).sum()),
                    "drawn": nr,
                    "den": den,
                    # certainty units add no stage-1 variance
                    "v_sys": float(u.sum(axis=1).var()),
                    "v_wr": float(np.sum(p * (z[rest] / p - z[rest].sum()) ** 2) / nr),
                    # single-sample estimators for each start, averaged over the starts
                    "e_wr": float(
                        (nr / (nr - 1) * ((u - u.mean(1, keepdims=True)) ** 2).sum(1)).mean()
                    ),
                    "e_sd": float((nr / (2 * (nr - 1)) * (np.diff(u, axis=1) ** 2).sum(1)).mean()),
                }
            )
    return rows


def stage1_sums(rows: list[dict], k: str) -> dict[str, float]:
    """The strata are independent: add their variances for the whole sample."""
    keys = ("v_sys", "v_wr", "e_wr", "e_sd")
    return {c: sum(r[c] for r in rows if r["indicator"] == k) for c in keys}


def stage1_table(P: cs.Population) -> None:
    """Exact stage-1 variance of systematic PPS (whole villages) vs the with-replacement one."""
    rows = stage1_rows(P)
    print(
        "| indicator | stratum | villages | certainty | drawn (non-certainty) "
        "| SE systematic | SE with replacement | variance ratio sys / wr "
        "| E[with-replacement estimator] / sys | E[successive-difference estimator] / sys |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for k in cs.INDICATORS:
        den = next(r["den"] for r in rows if r["indicator"] == k)
        for r in (r for r in rows if r["indicator"] == k):
            vs = r["v_sys"]
            print(
                f"| {LABEL[k]} | {r['stratum']} | {r['villages']} | {r['certainty']} "
                f"| {r['drawn']} | {fmt(np.sqrt(vs) / den, k)} "
                f"| {fmt(np.sqrt(r['v_wr']) / den, k)} | {vs / r['v_wr']:.2f} "
                f"| {r['e_wr'] / vs:.2f} | {r['e_sd'] / vs:.2f} |"
            )
        t = stage1_sums(rows, k)
        print(
            f"| {LABEL[k]} | both | | | | {fmt(np.sqrt(t['v_sys']) / den, k)} "
            f"| {fmt(np.sqrt(t['v_wr']) / den, k)} | {t['v_sys'] / t['v_wr']:.2f} "
            f"| {t['e_wr'] / t['v_sys']:.2f} | {t['e_sd'] / t['v_sys']:.2f} |"
        )


def populations_table(n_pop: int, n: int) -> None:
    print(
        "| master seed | care-seeking: real design | random order "
        "| mean OOP: real design | random order "
        "| stage-1 sys / wr: care, OOP | E[successive difference] / E[with replacement]: "
        "care, OOP |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    base = load_params()
    for seed in list(OTHER_SEEDS)[:n_pop]:
        params = copy.deepcopy(base)
        params["seed"] = seed
        P = cs.make_population(params)
        cells = {}
        for order, ss in zip(("frame", "random"), cs.study_seeds(params), strict=True):
            res = cs.run_study(P, n, np.random.default_rng(ss), order=order)
            for k in cs.INDICATORS:
                s = cs.summarise(res[k], P.truth[k])
                cells[k, order] = f"{s['coverage']:.3f} ({s['variance_ratio']:.2f})"
        rows = stage1_rows(P)
        t = {k: stage1_sums(rows, k) for k in cs.INDICATORS}
        sys_wr = ", ".join(f"{t[k]['v_sys'] / t[k]['v_wr']:.2f}" for k in cs.INDICATORS)
        sd_wr = ", ".join(f"{t[k]['e_sd'] / t[k]['e_wr']:.2f}" for k in cs.INDICATORS)
        print(
            f"| {seed} | {cells['care_seeking', 'frame']} | {cells['care_seeking', 'random']} "
            f"| {cells['oop_annual_hh_mean', 'frame']} | {cells['oop_annual_hh_mean', 'random']} "
            f"| {sys_wr} | {sd_wr} |"
        )


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 2000
    n_pop = int(argv[1]) if len(argv) > 1 else 8
    n_other = int(argv[2]) if len(argv) > 2 else 400
    t0 = time.perf_counter()
    P = cs.make_population()
    print(
        f"demo population (master seed {P.params['seed']}): {len(P.hh_key):,} households, "
        f"{len(P.ill):,} persons, {int(P.ill.sum()):,} ill; built in "
        f"{time.perf_counter() - t0:.1f} s; numpy {np.__version__}, pandas {pd.__version__}\n"
    )
    seed = np.random.SeedSequence([int(P.params["seed"]), 3, n])
    print(f"### {n:,} samples per study (seed SeedSequence([{P.params['seed']}, 3, {n}]))\n")
    study_table(P, n, seed)
    print("\n### Stage-1 variance of systematic PPS on the demo frame\n")
    stage1_table(P)
    if n_pop:
        print(f"\n### Other populations: coverage (MC var / est. var), {n_other} samples each\n")
        populations_table(n_pop, n_other)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
