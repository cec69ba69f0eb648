"""Step 8 of a block: the last live birth of women 15-49 in the last 24 months (births.sav).

The mother is the head or spouse with a child aged 0-1, or a daughter(-in-law) with a grandchild
aged 0-1. Months since the birth, the place of delivery (facility by wealth, area, distance,
education, insurance and village effect), the assistant, and the cost (free at public facilities
for the insured at endline).
"""

from __future__ import annotations

import numpy as np

from hhsurvey.simulate.draws import draw_fixed, expit, first_per_group, heap, spend
from hhsurvey.simulate.households.block import Block
from hhsurvey.simulate.layout import FACILITY_PLACES


def births(b: Block) -> None:
    """Sets, per birth, mothers (person), bh (household), mn1, place, assistant and mn4."""
    P, rng, vil, H, h, pv, price = b.P, b.rng, b.vil, b.H, b.h, b.pv, b.price
    rel, age, female, ed, insured = b.rel, b.age, b.female, b.ed, b.insured
    urb_p, w_p, u_sp_p, dist_hosp = b.urb_p, b.w_p, b.u_sp_p, b.dist_hosp
    BI = P["births"]
    big = 10_000
    yc = np.full(H, big)
    np.minimum.at(yc, h[rel == 3], age[rel == 3])
    yg = np.full(H, big)
    np.minimum.at(yg, h[rel == 5], age[rel == 5])
    ref = first_per_group(h, female & ((rel == 1) | (rel == 2)), H)
    gm = first_per_group(h, female & (rel == 4) & (age >= 15) & (age <= 49), H)
    gm2 = first_per_group(h, female & (rel == 3) & (age >= 16) & (age <= 49), H)
    gm = np.where(gm >= 0, gm, gm2)
    ok1 = (ref >= 0) & (yc <= 1)
    ok1 &= (age[np.maximum(ref, 0)] >= 15) & (age[np.maximum(ref, 0)] <= 49)
    ok2 = (gm >= 0) & (yg <= 1)
    mothers = np.r_[ref[ok1], gm[ok2]]
    child_age = np.r_[yc[ok1], yg[ok2]]
    order_b = np.argsort(mothers, kind="stable")
    mothers, child_age = mothers[order_b], child_age[order_b]
    nb = len(mothers)
    bh = h[mothers]
    mn1 = 12 * child_age + rng.integers(0, 12, nb)
    fac_b = rng.random(nb) < expit(
        BI["facility_intercept"]
        + BI["facility_wealth"] * w_p[mothers]
        + BI["facility_urban"] * urb_p[mothers]
        + BI["facility_log_dist_hosp"] * np.log(dist_hosp[bh] / 30)
        + BI["facility_education"] * np.nan_to_num(ed[mothers])
        + BI["facility_insured"] * insured[mothers]
        + vil["_u_birth"].to_numpy()[pv[mothers]]
    )
    place = np.where(fac_b, np.array(BI["place_codes"])[draw_fixed(rng, BI["place_share"], nb)], 11)
    assistant = 1 + np.where(
        np.isin(place, FACILITY_PLACES),
        draw_fixed(rng, BI["assistant_facility"], nb),
        draw_fixed(rng, BI["assistant_home"], nb),
    )
    pkeys = place.astype(str)
    cpos = np.array([BI["cost_prob_positive"][k] for k in pkeys])
    cmed = np.array([BI["cost_median"][k] for k in pkeys], float)
    mn4 = spend(
        rng,
        cpos[:, None],
        cmed[:, None],
        BI["cost_sd_log"],
        BI["cost_wealth_elasticity"] * w_p[mothers] + u_sp_p[mothers],
        price,
    )[:, 0]
    if b.endline:
        mn4 = np.where(
            np.isin(place, (21, 22, 23)) & insured[mothers],
            heap(mn4 * P["nhi_free_delivery"]),
            mn4,
        )
    b.mothers, b.bh, b.mn1, b.place, b.assistant, b.mn4 = mothers, bh, mn1, place, assistant, mn4
