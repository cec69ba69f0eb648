"""Steps 10 and 11 of a block: household health spending outside the modules, and consumption.

HE1 (medicines bought without consulting, 30 days) and HE2 (other health spending, 12 months);
then the non-health consumption split into the 7-day food items (purchases, own production,
gifts) and the non-food items (30-day or 12-month recall, durables and taxes).
"""

from __future__ import annotations

import numpy as np

from hhsurvey.simulate.draws import expit, heap
from hhsurvey.simulate.households.block import Block


def health_spending(b: Block) -> None:
    """Sets he1 and he2 (LAK, round prices; 0 when none)."""
    P, rng, H, h, ep, w, price = b.P, b.rng, b.H, b.h, b.ep, b.w, b.price
    SM, OH = P["self_medication"], P["other_health_12m"]
    someone_ill = np.bincount(h[ep], minlength=H) > 0
    he1 = np.where(
        rng.random(H) < expit(SM["intercept"] + SM["wealth"] * w + SM["someone_ill"] * someone_ill),
        heap(
            SM["median"]
            * price
            * np.exp(SM["wealth_elasticity"] * w + SM["sd_log"] * rng.standard_normal(H))
        ),
        0.0,
    )
    he2 = np.where(
        rng.random(H) < expit(OH["intercept"] + OH["wealth"] * w),
        heap(
            OH["median"]
            * price
            * np.exp(OH["wealth_elasticity"] * w + OH["sd_log"] * rng.standard_normal(H))
        ),
        0.0,
    )
    b.he1, b.he2 = he1, he2


def consumption(b: Block) -> None:
    """Sets food and nonfood: item rows with the household position "_h" (values > 0 only)."""
    P, rng, H, urban, w, price = b.P, b.rng, b.H, b.urban, b.w, b.price
    pc_month, size, emp, hc = b.pc_month, b.size, b.emp, b.hc
    W = P["wealth"]
    cons_nh = pc_month * 12 * size  # annual non-health consumption (round prices)
    fs = np.clip(
        W["food_share_mean"]
        + W["food_share_wealth_slope"] * w
        + W["food_share_urban"] * urban
        + W["food_share_sd"] * rng.standard_normal(H),
        W["food_share_min"],
        W["food_share_max"],
    )
    farmer_hh = b.any_in_hh(emp == 4)
    student_hh = b.any_in_hh(emp == 5)
    food = _food_items(rng, P["food"], urban, farmer_hh, fs * cons_nh * 7 / 365)
    nonfood = _nonfood_items(rng, P["nonfood"], urban, w, hc, student_hh, (1 - fs) * cons_nh, price)
    b.food, b.nonfood = food, nonfood


def _food_items(rng, F: dict, urban, farmer_hh, weekly) -> dict[str, np.ndarray]:
    """7-day food items of every household: which items, their value, and the split into
    purchases, own production and gifts (only the consumed cells are worked on)."""
    H, k = len(weekly), 15
    pcons = np.array([F["prob_consumed_rural"], F["prob_consumed_urban"]])
    cons = rng.random((H, k)) < pcons[urban.astype(np.int64)]
    cons[:, 11] |= ~cons.any(1)
    hh_i, it = np.nonzero(cons)  # row-major: households in order, items ascending
    u = urban[hh_i].astype(np.int64)
    share = np.array([F["share_rural"], F["share_urban"]])[u, it]
    wt = share * np.exp(F["share_sd_log"] * rng.standard_normal(len(it)))
    val = weekly[hh_i] * wt / np.bincount(hh_i, weights=wt, minlength=H)[hh_i]
    own_mean = np.array([F["own_share_rural"], F["own_share_urban"]])[u, it]
    own_mean = own_mean * np.where(farmer_hh[hh_i], 1.0, 0.2)
    r = rng.random((3, len(it)))
    own_frac = np.minimum(own_mean * (0.5 + r[0]), 1.0)
    gift_frac = np.where(r[1] < F["gift_prob"], F["gift_share"] * (0.3 + 1.4 * r[2]), 0.0)
    gift_frac = np.minimum(gift_frac, 1 - own_frac)
    own, gift = heap(val * own_frac), heap(val * gift_frac)
    buy = heap(np.maximum(val * (1 - own_frac - gift_frac), 0))
    keep = (own + gift + buy) > 0
    return {
        "_h": hh_i[keep],
        "FOOD_ITEM": it[keep] + 1,
        "FOOD_BUY": buy[keep],
        "FOOD_OWN": own[keep],
        "FOOD_GIFT": gift[keep],
    }


def _nonfood_items(
    rng, NF: dict, urban, w, hc, student_hh, annual, price: float
) -> dict[str, np.ndarray]:
    H = len(annual)
    share = np.where(urban[:, None], np.array(NF["share_urban"]), np.array(NF["share_rural"]))
    prob = np.where(urban[:, None], np.array(NF["prob_urban"]), np.array(NF["prob_rural"]))
    cons = rng.random((H, 12)) < prob
    cons[:, 2] &= hc[:, 0]  # electricity only with electricity
    cons[:, 5] &= hc[:, 7]  # telephone only with a mobile phone
    cons[:, 9] &= student_hh  # education only with a student
    cons[:, 6] |= ~cons.any(1)
    wt = share * rng.gamma(3.0, 1 / 3.0, (H, 12)) * cons
    ann = annual[:, None] * wt / wt.sum(1, keepdims=True)
    recall = np.array(NF["recall"])
    val = np.zeros((H, 14))
    val[:, :12] = np.where(recall[:12] == 1, heap(ann / 12), heap(ann))
    dur = rng.random(H) < expit(NF["durables_logit"] + NF["durables_wealth"] * w)
    val[:, 12] = np.where(
        dur, heap(NF["durables_share"] * annual * np.exp(0.8 * rng.standard_normal(H))), 0
    )
    tax = rng.random(H) < NF["taxes_prob"]
    val[:, 13] = np.where(
        tax, heap(NF["taxes_median"] * price * np.exp(0.6 * rng.standard_normal(H))), 0
    )
    keep = val > 0
    hh_i, it = np.nonzero(keep)
    return {"_h": hh_i, "NF_ITEM": it + 1, "NF_RECALL": recall[it], "NF_VALUE": val[keep]}
