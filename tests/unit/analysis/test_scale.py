"""Composite indicators stay linear in the sample size (benchmarks/run_scale.py, issue 8).

Replicates sort once (the sort keys do not depend on the weights) and a JKn design with more
than ``JKN_MAX_PSUS`` PSUs is replicated by groups of PSUs; both leave the demo's numbers
unchanged (at most rounding) and the group rule is deterministic and nested in strata.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hhsurvey.analysis.indicators.composites import (
    JKN_MAX_PSUS,
    RankedConcentration,
    _DomainShares,
    concentration_index,
    ctp_catastrophic,
    food_share,
    jackknife_groups,
    revised_sdg_catastrophic,
)


def _sample(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    total = rng.lognormal(16, 0.6, n)
    return {
        "food": total * rng.uniform(0.2, 0.8, n),
        "total": total,
        "oop": np.where(rng.random(n) < 0.3, 0.0, total * rng.beta(1, 12, n)),
        "hhsize": rng.integers(1, 10, n).astype("float64"),
        # ties on purpose: ranks of tied values share their group's midpoint
        "x": np.round(rng.lognormal(14, 0.5, n), -5),
        "w": np.where(rng.random(n) < 0.1, 0.0, rng.uniform(50, 150, n)),
    }


def test_ranked_concentration_equals_the_direct_index():
    s = _sample(2000)
    h = s["oop"] / s["hhsize"]
    h[::97] = np.nan
    conc = RankedConcentration(h, s["x"])
    for w in (s["w"], s["w"] * s["hhsize"], np.where(np.arange(2000) < 700, 0.0, s["w"])):
        assert conc(w) == pytest.approx(concentration_index(h, s["x"], w), rel=1e-12)


def test_presorted_catastrophe_rules_equal_the_direct_ones():
    s = _sample(3000)
    kw = {"beta": 0.56, "band": (0.45, 0.55), "threshold": 0.4}
    order = np.argsort(food_share(s["food"], s["total"]), kind="stable")
    a, pl_a = ctp_catastrophic(s["food"], s["total"], s["oop"], s["hhsize"], s["w"], **kw)
    b, pl_b = ctp_catastrophic(
        s["food"], s["total"], s["oop"], s["hhsize"], s["w"], **kw, order=order
    )
    assert pl_a == pytest.approx(pl_b, rel=1e-12) and (a == b).all()
    pc = s["total"] / s["hhsize"]
    kw2 = {"lak_per_usd_ppp": 3000.0, "ipl_usd": 2.15, "threshold": 0.4}
    pw = s["w"] * s["hhsize"]
    c, spl_c = revised_sdg_catastrophic(pc, s["total"], s["oop"], s["hhsize"], pw, **kw2)
    d, spl_d = revised_sdg_catastrophic(
        pc, s["total"], s["oop"], s["hhsize"], pw, **kw2, order=np.argsort(pc, kind="stable")
    )
    assert spl_c == spl_d and (c == d).all()


def test_domain_shares_equal_masked_sums():
    rng = np.random.default_rng(3)
    n = 500
    q = rng.integers(1, 6, n)
    flag, w = rng.random(n) < 0.2, rng.uniform(1, 2, n)
    labels = [("total", "total", np.ones(n, bool))]
    labels += [("quintile", str(k), q == k) for k in range(1, 6)]
    got = _DomainShares(labels)(flag, w)
    want = [np.sum(w[m] * flag[m]) / np.sum(w[m]) for _, _, m in labels]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_jackknife_groups_only_above_the_limit_nested_and_deterministic():
    small = pd.DataFrame({"area": ["u"] * 50 + ["r"] * 50, "village": np.arange(100) // 5})
    assert jackknife_groups(small, "area", "village", JKN_MAX_PSUS) is None
    big = pd.DataFrame(
        {"area": np.repeat(["u", "r"], [3000, 7000]), "village": np.arange(10_000) // 5}
    )
    st, g = jackknife_groups(big, "area", "village", 200)
    st2, again = jackknife_groups(
        big.sample(frac=1, random_state=0).sort_index(), "area", "village", 200
    )
    assert (g == again).all() and (st == st2).all()
    assert len(np.unique(g)) == 200
    # a group lies in one stratum and a village in one group; the replicate strata are the
    # design's strata
    grp = pd.DataFrame({"area": big["area"], "village": big["village"], "g": g, "s": st})
    assert (grp.groupby("g")["area"].nunique() == 1).all()
    assert (grp.groupby("village")["g"].nunique() == 1).all()
    assert grp.groupby("area")["g"].nunique().to_dict() == {"r": 140, "u": 60}
    assert (grp.groupby("area")["s"].nunique() == 1).all() and grp["s"].nunique() == 2


def test_many_small_strata_are_pooled_so_the_replicates_stay_near_the_limit():
    """900 certainty villages, each a stratum of 15 households (PSUs), beside two large strata
    of villages: without pooling each small stratum would keep two groups (1,800+ replicates);
    pooled, the groups stay near the limit, every PSU in one group, every group in one
    replicate stratum, the large strata kept as they are."""
    big = pd.DataFrame(
        {
            "stratum": np.repeat(["u", "r"], [30_000, 70_000]),
            "psu": (np.arange(100_000) // 10).astype(str),
        }
    )
    cert = pd.DataFrame(
        {
            "stratum": np.repeat([f"u certainty {k}" for k in range(900)], 15),
            "psu": [f"c{k}" for k in range(13_500)],
        }
    )
    data = pd.concat([big, cert], ignore_index=True)
    st, g = jackknife_groups(data, "stratum", "psu", 200)
    grp = data.assign(s=st, g=g)
    assert grp["g"].nunique() <= 205
    assert (grp.groupby("psu")["g"].nunique() == 1).all()
    assert (grp.groupby("g")["s"].nunique() == 1).all()
    assert grp["s"].nunique() == 3  # u, r and the pooled certainty strata
    pooled = grp.loc[grp["stratum"].str.contains("certainty")]
    assert pooled["s"].nunique() == 1 and pooled["g"].nunique() >= 2
    assert grp.loc[grp["stratum"] == "u", "s"].nunique() == 1


def test_composite_flags_are_remembered_per_frame_and_replicate_weights():
    """In the scenarios the actual frame's composite flags are computed once per replicate
    weights and serve its levels and every package's change (a copy with more columns is the
    same frame); another frame or other weights are computed, and the numbers are those of the
    flag builder itself."""
    from hhsurvey.analysis.indicators.composites import COMPOSITE_FLAGS, composite_flags

    rng = np.random.default_rng(5)
    n = 400
    frame = pd.DataFrame(
        {
            "food_ctp": rng.uniform(100, 900, n),
            "total": rng.uniform(1000, 3000, n),
            "oop": np.where(rng.uniform(size=n) < 0.3, rng.uniform(0, 900, n), 0.0),
            "hhsize": rng.integers(1, 8, n).astype("float64"),
        }
    )
    context = {
        "indicators": {"ctp": {"beta": 0.56, "food_share_band": [0.45, 0.55], "threshold": 0.4}},
        "flag_cache": {},
    }
    calls = []
    original = COMPOSITE_FLAGS["ctp_catastrophic"]

    def counting(f, ctx):
        inner = original(f, ctx)

        def flags(w, pw):
            calls.append(1)
            return inner(w, pw)

        return flags

    COMPOSITE_FLAGS["ctp_catastrophic"] = counting
    try:
        w1, w2 = rng.uniform(1, 3, n), rng.uniform(1, 3, n)
        a = composite_flags("ctp_catastrophic", frame, context)
        b = composite_flags("ctp_catastrophic", frame.assign(extra=1.0), context)
        other = composite_flags("ctp_catastrophic", frame.assign(oop=frame["oop"] / 2), context)
        first = a(w1, w1 * frame["hhsize"].to_numpy())
        again = b(w1, w1 * frame["hhsize"].to_numpy())
        assert len(calls) == 1 and again is first
        b(w2, w2 * frame["hhsize"].to_numpy())
        other(w1, w1 * frame["hhsize"].to_numpy())
        assert len(calls) == 3
        plain = original(frame, context)(w1, w1 * frame["hhsize"].to_numpy())
        assert (first == plain).all()
    finally:
        COMPOSITE_FLAGS["ctp_catastrophic"] = original
