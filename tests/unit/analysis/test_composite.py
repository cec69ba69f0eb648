"""Composite financial-protection and equity statistics against independent computations."""

from __future__ import annotations

import numpy as np
import pytest

from hhsurvey.analysis.indicators.composites import (
    concentration_index,
    ctp_catastrophic,
    fractional_rank,
    revised_sdg_catastrophic,
    weighted_percentile,
)


def test_weighted_percentile_is_smallest_value_reaching_share():
    x = np.array([3.0, 1.0, 2.0, 4.0])
    w = np.array([1.0, 1.0, 1.0, 1.0])
    assert weighted_percentile(x, w, 0.5) == 2.0  # cumulative shares .25 .5 .75 1
    assert weighted_percentile(x, w, 0.51) == 3.0
    assert weighted_percentile(x, np.array([1.0, 5.0, 1.0, 1.0]), 0.5) == 1.0


def test_ctp_by_hand_xu_steps():
    # Ten households, weight 1 except where noted; beta 0.56, band 45th-55th, threshold 40 %.
    food = np.array([50, 60, 40, 30, 80, 55, 45, 35, 70, 65], dtype=float)
    total = np.array([100, 100, 100, 100, 100, 110, 90, 70, 200, 100], dtype=float)
    oop = np.array([0, 10, 30, 5, 0, 20, 0, 25, 60, 1], dtype=float)
    size = np.array([4, 5, 3, 2, 6, 4, 3, 2, 5, 4], dtype=float)
    w = np.ones(10)
    flag, pl = ctp_catastrophic(
        food, total, oop, size, w, beta=0.56, band=(0.45, 0.55), threshold=0.4
    )
    # food shares: .5 .6 .4 .3 .8 .5 .5 .5 .35 .65; sorted: .3 .35 .4 .5 .5 .5 .5 .6 .65 .8
    # P45 = smallest with cum share >= .45 -> 5th value = .5; P55 -> 6th value = .5
    # households with share exactly .5: 0, 5, 6, 7
    eq = size**0.56
    band = [0, 5, 6, 7]
    pl_hand = np.mean(food[band] / eq[band])
    assert pl == pytest.approx(pl_hand)
    sub = pl_hand * eq
    ctp = np.where(food >= sub, total - sub, total - food)
    expected = (oop > 0) & (oop >= 0.4 * ctp)
    np.testing.assert_array_equal(flag, expected)
    assert expected.sum() >= 1 and (~expected).sum() >= 1


def test_concentration_index_equals_convenient_regression():
    rng = np.random.default_rng(7)
    n = 500
    x = rng.lognormal(size=n)
    h = x * rng.uniform(0.5, 1.5, size=n) + rng.uniform(0, 1, size=n)
    w = rng.uniform(1, 4, size=n)
    c = concentration_index(h, x, w)
    # independent: weighted least squares of 2 var(r) h/mu on r (O'Donnell et al. 2008, eq. 8.7)
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    r = np.empty(n)
    r[order] = (cw - w[order] / 2) / w.sum()
    mu = np.average(h, weights=w)
    rbar = np.average(r, weights=w)
    var_r = np.average((r - rbar) ** 2, weights=w)
    lhs = 2 * var_r * h / mu
    beta = np.average((r - rbar) * (lhs - np.average(lhs, weights=w)), weights=w) / var_r
    assert c == pytest.approx(beta, rel=1e-12)
    assert 0 < c < 1  # h rises with x


def test_concentration_of_the_ranking_variable_is_the_gini():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    w = np.ones(4)
    # Gini of 1..4 with the midpoint-rank formula: 2 cov(x, r)/mu = 0.25
    assert concentration_index(x, x, w) == pytest.approx(0.25)


def test_fractional_rank_ties_share_midpoint():
    r = fractional_rank(np.array([5.0, 1.0, 5.0]), np.array([1.0, 2.0, 1.0]))
    np.testing.assert_allclose(r, [0.75, 0.25, 0.75])


def test_revised_sdg_societal_line():
    ppp = 3000.0
    pc = np.array([2.0, 4.0, 6.0, 10.0]) * 365 * ppp  # daily 2, 4, 6, 10 PPP$
    size = np.array([1.0, 1.0, 1.0, 1.0])
    total = pc * size
    oop = np.array([0.0, 0.5, 2.0, 1.0]) * 365 * ppp
    flag, spl = revised_sdg_catastrophic(
        pc, total, oop, size, np.ones(4), lak_per_usd_ppp=ppp, ipl_usd=2.15, threshold=0.4
    )
    assert spl == pytest.approx(max(2.15, 1.15 + 0.5 * 4.0))  # weighted median 4 -> 3.15
    disc = np.array([2.0, 4.0, 6.0, 10.0]) - 3.15
    np.testing.assert_array_equal(flag, (oop > 0) & (oop / 365 / ppp > 0.4 * disc))
    assert flag.tolist() == [False, True, True, False]
