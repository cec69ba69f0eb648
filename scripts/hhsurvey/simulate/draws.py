"""Vectorised random draws and small array helpers shared by the generator's steps.

Logistic links, categorical draws (one probability row per element, one fixed vector, or a few
distinct rows), positions within consecutive groups, and amounts as respondents report them
(heaped on round numbers, log-normal with zeros). Each function takes the generator it draws from,
so the order of draws stays that of the calling step.
"""

from __future__ import annotations

import numpy as np


def expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def logit(p):
    return np.log(p / (1.0 - p))


def within(counts: np.ndarray) -> np.ndarray:
    """Position 0..count-1 of every element of consecutive groups of the given sizes."""
    counts = np.asarray(counts, np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(counts.sum(), dtype=np.int64) - np.repeat(starts, counts)


def heap(x) -> np.ndarray:
    """Round amounts the way respondents report them (heaping on round numbers)."""
    x = np.asarray(x, dtype=float)
    step = 500.0 * (1.0 + (x >= 20_000) + 8.0 * (x >= 200_000) + 90.0 * (x >= 2_000_000))
    return np.round(x / step) * step


def draw_cat(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Index of a categorical draw for every row of a (n, k) probability matrix."""
    probs = np.asarray(probs, float)
    cum = np.cumsum(probs, axis=-1)
    cum /= cum[..., -1:]
    u = rng.random(probs.shape[:-1])
    return np.minimum((u[..., None] > cum).sum(axis=-1), probs.shape[-1] - 1)


def draw_fixed(rng: np.random.Generator, probs, n: int) -> np.ndarray:
    """n categorical draws (indices) from one probability vector."""
    cum = np.cumsum(np.asarray(probs, float))
    return np.minimum(np.searchsorted(cum / cum[-1], rng.random(n), side="right"), len(cum) - 1)


def draw_rows(rng: np.random.Generator, table, row: np.ndarray) -> np.ndarray:
    """Categorical draws (indices) with probabilities table[row[i]] (few distinct rows)."""
    cum = np.cumsum(np.asarray(table, float), axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(row))
    out = np.empty(len(row), np.int64)
    for r in range(len(cum)):
        m = row == r
        out[m] = np.minimum(np.searchsorted(cum[r], u[m], side="right"), cum.shape[1] - 1)
    return out


def gumbel_argmax(rng: np.random.Generator, util: np.ndarray) -> np.ndarray:
    """A multinomial-logit choice per row of utilities (argmax with Gumbel noise)."""
    return np.argmax(util + rng.gumbel(size=util.shape), axis=1)


def age_band5(age: np.ndarray) -> np.ndarray:
    """Age band 0..4: under 5, 5-14, 15-44, 45-59, 60 and over."""
    return np.searchsorted(np.array([5, 15, 45, 60]), age, side="right")


def first_per_group(group: np.ndarray, mask: np.ndarray, n_groups: int) -> np.ndarray:
    """Index of the first element with mask=True in each group (-1 if none); group is sorted."""
    out = np.full(n_groups, -1, dtype=np.int64)
    idx = np.flatnonzero(mask)
    g, first = np.unique(group[idx], return_index=True)
    out[g] = idx[first]
    return out


def spend(
    rng, prob: np.ndarray, med: np.ndarray, sd: float, shift: np.ndarray, price: float
) -> np.ndarray:
    """Log-normal amounts with zeros: prob and med are (n, k); shift is a per-row log shift."""
    pos = rng.random(prob.shape) < prob
    amt = med * price * np.exp(shift[:, None] + sd * rng.standard_normal(prob.shape))
    return np.where(pos, heap(amt), 0.0)
