"""Step 6 of a block: illness in the last 30 days, outpatient care and its cost (opd.sav).

Who was ill (age, chronic illness, wealth, village effect); for each episode whether care was
sought, the first provider (a multinomial choice), the number of visits, the reason for not
seeking care, and the use of an insurance or HEF card. Then the spending components of each
episode: log-normal amounts by provider, transport by distance, and what a card changes
(baseline: free or reduced at public providers; endline: the NHI co-payment and residual cost).
"""

from __future__ import annotations

import numpy as np

from hhsurvey.simulate.draws import age_band5, expit, gumbel_argmax, heap, spend
from hhsurvey.simulate.households.block import Block
from hhsurvey.simulate.layout import PUBLIC_PROVIDERS


def illness_and_care(b: Block) -> None:
    """Sets ab, ill, and per episode ep, ne, eh, care, kprov, prov, pub, visits, reason,
    reason_other and card."""
    P, rng, vil, n, h, pv = b.P, b.rng, b.vil, b.n, b.h, b.pv
    age, chronic, insured, urb_p, w_p = b.age, b.chronic, b.insured, b.urb_p, b.w_p
    dist_hc, dist_hosp = b.dist_hc, b.dist_hosp
    IL = P["illness"]
    ab = age_band5(age)
    ill = rng.random(n) < expit(
        IL["intercept"]
        + np.array(IL["age_effects"])[ab]
        + IL["chronic"] * chronic
        + IL["wealth"] * w_p
        + vil["_u_ill"].to_numpy()[pv]
    )
    CR = P["care"]
    ep = np.flatnonzero(ill)  # person index of each episode
    ne = len(ep)
    eh = h[ep]
    ldh = np.log(dist_hc[eh] / 30)
    ldhosp = np.log(dist_hosp[eh] / 30)
    care = rng.random(ne) < expit(
        CR["intercept"]
        + CR["wealth"] * w_p[ep]
        + CR["insured"] * insured[ep]
        + CR["log_dist_hc"] * ldh
        + CR["urban"] * urb_p[ep]
        + CR["under5"] * (age[ep] < 5)
        + CR["chronic"] * chronic[ep]
        + CR["age60"] * (age[ep] >= 60)
        + vil["_u_care"].to_numpy()[pv[ep]]
    )
    pcodes = np.array(CR["provider_codes"])
    util = (
        np.log(np.array(CR["provider_base_share"]))
        + np.outer(w_p[ep], CR["provider_wealth"])
        + np.outer(urb_p[ep], CR["provider_urban"])
        + np.outer(insured[ep], CR["provider_insured"])
        + np.outer(ldhosp, CR["provider_log_dist_hosp"])
    )
    kprov = gumbel_argmax(rng, util)
    prov = pcodes[kprov]
    visits = 1 + rng.poisson(np.array(CR["extra_visits_mean"])[kprov])
    rcodes = np.array(CR["reason_codes"])
    rutil = np.tile(np.log(np.array(CR["reason_base_share"])), (ne, 1))
    rutil[:, 1] += CR["reason_cost_wealth"] * w_p[ep]
    rutil[:, 2] += CR["reason_far_log_dist"] * ldh
    reason = rcodes[gumbel_argmax(rng, rutil)]
    rtxt = np.array(CR["reason_other_texts"], dtype=object)
    reason_other = np.where(~care & (reason == 96), rtxt[rng.integers(0, len(rtxt), ne)], "")
    pub = np.isin(prov, PUBLIC_PROVIDERS)
    p_card = np.where(
        pub,
        CR["card_use_public"],
        np.where(prov == 4, CR["card_use_private"], CR["card_use_other"]),
    )
    card = care & insured[ep] & (rng.random(ne) < p_card)
    b.ab, b.ill, b.ep, b.ne, b.eh, b.care = ab, ill, ep, ne, eh, care
    b.kprov, b.prov, b.pub, b.visits, b.card = kprov, prov, pub, visits, card
    b.reason, b.reason_other = reason, reason_other


def outpatient_spending(b: Block) -> None:
    """Sets u_sp_p (village spending effect of each person) and opd_amt (ne, 6 components;
    NaN without care)."""
    P, rng, vil, pv, price = b.P, b.rng, b.vil, b.pv, b.price
    ep, eh, ne, kprov, prov, pub = b.ep, b.eh, b.ne, b.kprov, b.prov, b.pub
    care, card, hef_card, w_p = b.care, b.card, b.hef_card, b.w_p
    dist_hc, dist_hosp = b.dist_hc, b.dist_hosp
    ES = P["episode_spending"]
    u_sp_p = vil["_u_spend"].to_numpy()[pv]
    opd_amt = spend(
        rng,
        np.array(ES["prob_positive"])[kprov],
        np.array(ES["median"], float)[kprov],
        ES["sd_log"],
        ES["wealth_elasticity"] * w_p[ep] + u_sp_p[ep],
        price,
    )
    dist_for = np.select(
        [np.isin(prov, (1, 2)), prov == 3],
        [dist_hosp[eh], dist_hc[eh]],
        np.minimum(dist_hc[eh], dist_hosp[eh]),
    )
    opd_amt[:, 3] = heap(opd_amt[:, 3] * (dist_for / 30) ** ES["transport_dist_elasticity"])
    cardpub = card & pub
    if not b.endline:
        free = cardpub & (hef_card[ep] | (rng.random(ne) < ES["card_zero_prob"]))
        for j in (0, 1, 2):
            opd_amt[:, j] = np.where(
                free,
                0.0,
                np.where(cardpub, heap(opd_amt[:, j] * ES["card_factor"]), opd_amt[:, j]),
            )
    else:
        copay = np.array(P["nhi_copay_opd"], float)[np.clip(prov - 1, 0, 2)]
        opd_amt[:, 0] = np.where(cardpub, np.where(hef_card[ep], 0.0, copay), opd_amt[:, 0])
        for j in (1, 2):
            opd_amt[:, j] = np.where(
                cardpub, heap(opd_amt[:, j] * P["nhi_residual_medicines"]), opd_amt[:, j]
            )
    opd_amt[~care] = np.nan
    b.u_sp_p, b.opd_amt = u_sp_p, opd_amt
