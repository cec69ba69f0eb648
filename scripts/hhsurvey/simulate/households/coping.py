"""Step 12 of a block: OOP, budget share and coping (HF1-HF5), and the payment source of admissions.

Annual OOP as the definitions compute it (SDG 3.8.2 components), annual food and non-food
consumption, the OOP budget share; coping answers by share and wealth; the main source of
payment of each admission (IP4), where borrowing or selling is also a coping answer.
"""

from __future__ import annotations

import numpy as np

from hhsurvey.simulate.draws import draw_cat, expit
from hhsurvey.simulate.households.block import Block
from hhsurvey.simulate.layout import SDG_COMPONENTS


def oop_and_coping(b: Block) -> None:
    """Sets food_ann, nf_ann, oop, share (per household), hf (H, 5) and ip4 (per admission)."""
    P, rng, H, h, w, food, nonfood = b.P, b.rng, b.H, b.h, b.w, b.food, b.nonfood
    eh, opd_amt, he1, he2, bh, mn1, mn4 = b.eh, b.opd_amt, b.he1, b.he2, b.bh, b.mn1, b.mn4
    ap, na, ipd_amt, icard, hef_card = b.ap, b.na, b.ipd_amt, b.icard, b.hef_card
    AD = P["admissions"]
    comp = list(SDG_COMPONENTS)
    oop = (
        12 * np.bincount(eh, weights=np.nan_to_num(opd_amt[:, comp]).sum(1), minlength=H)
        + 12 * he1
        + np.bincount(h[ap], weights=ipd_amt[:, comp].sum(1), minlength=H)
        + he2
        + np.bincount(bh, weights=np.where(mn1 < 12, mn4, 0.0), minlength=H)
    )
    food_ann = (
        np.bincount(
            food["_h"], weights=food["FOOD_BUY"] + food["FOOD_OWN"] + food["FOOD_GIFT"], minlength=H
        )
        * 365
        / 7
    )
    incl = nonfood["NF_ITEM"] <= 12
    nf_ann = np.bincount(
        nonfood["_h"][incl],
        weights=(nonfood["NF_VALUE"] * np.where(nonfood["NF_RECALL"] == 1, 12, 1))[incl],
        minlength=H,
    )
    share = oop / (food_ann + nf_ann + oop)
    CP = P["coping"]
    hf = np.empty((H, 5), bool)
    for j in range(5):
        lg = CP["intercepts"][j] + CP["share_slopes"][j] * share + CP["wealth_slopes"][j] * w
        hf[:, j] = rng.random(H) < expit(np.where(oop > 0, lg, CP["no_spending_logit"]))
    # IP4 payment source; borrowing / selling for an admission is also a coping answer
    ratio = ipd_amt[:, comp].sum(1) / (food_ann + nf_ann)[h[ap]]
    probs = np.column_stack(
        [
            np.zeros(na),
            np.minimum(AD["borrow_base"] + AD["borrow_slope"] * ratio, 0.6),
            np.minimum(AD["sell_base"] + AD["sell_slope"] * ratio, 0.3),
            np.where(icard & ~hef_card[ap], AD["insurance_paid"], 0.0),
            np.full(na, AD["relatives"]),
            np.where(icard & hef_card[ap], AD["hef_free"], 0.0),
            np.full(na, AD["other_source"]),
        ]
    )
    probs[:, 0] = np.maximum(1 - probs[:, 1:].sum(1), 0.05)
    ip4 = np.array([1, 2, 3, 4, 5, 6, 96])[draw_cat(rng, probs)]
    hf[np.unique(h[ap][ip4 == 2]), 0] = True
    hf[np.unique(h[ap][ip4 == 3]), 1] = True
    b.food_ann, b.nf_ann, b.oop, b.share, b.hf, b.ip4 = food_ann, nf_ann, oop, share, hf, ip4
