"""Step 2 of a block: the household roster (relationship to the head, age and sex).

Spouse by the head's sex and age, the other members' relationships by the head's age band, ages
from a fertility-like schedule of the mother's age at each birth (siblings spaced), sexes by
relationship, and the roster order (head, spouse, then by relationship and age, oldest first).
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.special import betainc

from hhsurvey.simulate.draws import draw_rows, within
from hhsurvey.simulate.households.block import Block


def roster(b: Block) -> None:
    """Sets n, h, rel, age, female, HL1 and the per-person pv, urb_p, w_p."""
    P, rng, H = b.P, b.rng, b.H
    HS = P["households"]
    head_female, head_age, size = b.head_female, b.head_age, b.size
    p_sp = np.where(
        head_female,
        HS["spouse_female_head"],
        np.where(head_age < 65, HS["spouse_male_head_young"], HS["spouse_male_head_old"]),
    )
    spouse = (size >= 2) & (rng.random(H) < p_sp)
    gap = HS["spouse_age_gap"] + HS["spouse_age_sd"] * rng.standard_normal(H)
    spouse_age = np.clip(
        np.round(np.where(head_female, head_age + gap, head_age - gap)), 15, 95
    ).astype(np.int64)
    # age of the mother of the head's children (for child ages)
    mother_age = np.where(
        head_female, head_age, np.where(spouse, spouse_age, head_age - HS["spouse_age_gap"])
    )

    n = int(size.sum())
    h = np.repeat(np.arange(H), size)
    pos = within(size)
    is_head, is_sp = pos == 0, (pos == 1) & spouse[h]
    band = np.searchsorted(np.array([40, 55]), head_age, side="right")
    rel_probs = np.array(
        [
            HS["relationship_probs_head_under40"],
            HS["relationship_probs_head_40to54"],
            HS["relationship_probs_head_55plus"],
        ]
    )
    rel_codes = np.array(HS["relationship_codes"])
    rel = np.where(is_head, 1, np.where(is_sp, 2, rel_codes[draw_rows(rng, rel_probs, band[h])]))
    u = rng.random(n)
    ma = mother_age[h]
    # child age = mother's current age - her age at the birth; the age at birth follows a
    # fertility-like schedule, truncated at her current age (young mothers have young children)
    exact = ma + rng.random(n)  # the mother's exact age
    age_child = np.zeros(n)
    c3 = rel == 3
    age_child[c3] = np.minimum(
        np.floor(exact[c3] - _age_at_birth(rng, HS, exact[c3])), HS["child_age_max"]
    )
    age_grand = np.zeros(n)
    c5 = rel == 5
    parent_exact = exact[c5] - _age_at_birth(rng, HS, exact[c5] - 15)  # grandchild's parent, 15+
    age_grand[c5] = np.clip(np.floor(parent_exact - _age_at_birth(rng, HS, parent_exact)), 0, 18)
    age = age_child + age_grand  # zero outside relationships 3 and 5
    age[is_head] = head_age[h[is_head]]
    age[is_sp] = spouse_age[h[is_sp]]
    c4, c6, c7, c8 = rel == 4, rel == 6, rel == 7, rel == 8
    age[c4] = 18 + rng.gamma(2.0, 5.0, c4.sum())
    age[c6] = np.minimum(head_age[h[c6]] + 22 + rng.gamma(2.0, 4.0, c6.sum()), 95)
    age[c7] = rng.uniform(0, 65, c7.sum())
    age[c8] = rng.uniform(14, 40, c8.sum())
    age = age.astype(np.int64)
    # birth spacing: siblings (children, grandchildren) at least `birth_spacing` years apart
    age = _space_ages(h, age, rel == 3, HS["birth_spacing"])
    age = _space_ages(h, age, rel == 5, HS["birth_spacing"])
    female = np.select(
        [is_head, is_sp, rel == 4, rel == 6],
        [head_female[h], ~head_female[h], u >= HS["child_in_law_male"], u < HS["parent_female"]],
        u < HS["female_child"],
    )
    # roster order: head, spouse, then by relationship and age (oldest first)
    order = np.argsort(h * 1024 + rel * 128 + (127 - age), kind="stable")
    rel, age, female = rel[order], age[order], female[order]
    HL1 = pos + 1  # h is sorted already, so positions stay 0..size-1
    b.n, b.h, b.rel, b.age, b.female, b.HL1 = n, h, rel, age, female, HL1
    b.pv = b.vh[h]  # village position of each person
    b.urb_p, b.w_p = b.urban[h], b.w[h]


def _space_ages(group: np.ndarray, age: np.ndarray, mask: np.ndarray, gap: int) -> np.ndarray:
    """Within each group, push the ages of the masked persons apart so that, sorted by age,
    consecutive ones differ by at least `gap` years (the youngest keeps its age)."""
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return age
    o = idx[np.lexsort((age[idx], group[idx]))]
    g = group[o]
    rank = within(np.unique(g, return_counts=True)[1])
    shifted = age[o] - gap * rank + (g - g.min()) * 10_000  # cummax stays inside each group
    adj = np.maximum.accumulate(shifted) - (g - g.min()) * 10_000 + gap * rank
    out = age.copy()
    out[o] = adj
    return out


@functools.cache
def _beta_table(a: float, b: float, k: int = 4001) -> tuple[np.ndarray, np.ndarray]:
    """Beta(a, b) CDF on a fine grid (inverse CDF by interpolation is exact enough for ages)."""
    grid = np.linspace(0.0, 1.0, k)
    return grid, betainc(a, b, grid)


def _age_at_birth(rng, HS: dict, upper: np.ndarray) -> np.ndarray:
    """Mother's exact age at a birth: lo + span x Beta(a, b) truncated at `upper` (her exact
    age), drawn by inverse CDF; `lo` when she is younger than `lo`."""
    lo, span, a, b = (
        HS["birth_age_min"],
        HS["birth_age_span"],
        HS["birth_age_beta_a"],
        HS["birth_age_beta_b"],
    )
    grid, cdf = _beta_table(a, b)
    t = np.clip((np.asarray(upper, float) - lo) / span, 0.0, 1.0)
    p = rng.random(len(t)) * np.interp(t, grid, cdf)
    return lo + span * np.interp(p, cdf, grid)
