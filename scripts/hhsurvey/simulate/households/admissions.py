"""Step 7 of a block: hospital admissions in the last 12 months and their cost (ipd.sav).

Admissions per person (Poisson: age, women 15-49, chronic illness, wealth, insurance, village
effect), the facility, the nights (negative binomial), the spending components and what a card
changes at public hospitals (baseline: free with HEF, reduced otherwise; endline: NHI co-payment).
The main source of payment (IP4) is drawn with coping (:mod:`.coping`).
"""

from __future__ import annotations

import numpy as np

from hhsurvey.simulate.draws import gumbel_argmax, heap, spend
from hhsurvey.simulate.households.block import Block
from hhsurvey.simulate.layout import PUBLIC_PROVIDERS


def admissions(b: Block) -> None:
    """Sets, per admission, ap (person), na, fac, nights, ipd_amt (na, 6) and icard."""
    P, rng, vil, n, pv, price = b.P, b.rng, b.vil, b.n, b.pv, b.price
    ab, age, female, chronic, insured, w_p = b.ab, b.age, b.female, b.chronic, b.insured, b.w_p
    hef_card, u_sp_p = b.hef_card, b.u_sp_p
    CR, ES = P["care"], P["episode_spending"]
    AD = P["admissions"]
    rate = np.exp(
        AD["log_rate_intercept"]
        + np.array(AD["age_effects"])[ab]
        + AD["women_15_49"] * (female & (age >= 15) & (age <= 49))
        + AD["chronic"] * chronic
        + AD["wealth"] * w_p
        + AD["insured"] * insured
        + vil["_u_adm"].to_numpy()[pv]
    )
    nadm = rng.poisson(rate)
    ap = np.repeat(np.arange(n), nadm)  # person index of each admission
    na = len(ap)
    fcodes = np.array(AD["facility_codes"])
    futil = np.log(np.array(AD["facility_base_share"])) + np.outer(w_p[ap], AD["facility_wealth"])
    kfac = gumbel_argmax(rng, futil)
    fac = fcodes[kfac]
    mean_n = np.array(AD["nights_mean"], float)[kfac]
    k_nb = AD["nights_dispersion"]
    nights = 1 + rng.negative_binomial(k_nb, k_nb / (k_nb + mean_n - 1))
    ipd_amt = spend(
        rng,
        np.array(AD["prob_positive"])[kfac],
        np.array(AD["median"], float)[kfac],
        AD["sd_log"],
        AD["wealth_elasticity"] * w_p[ap] + u_sp_p[ap],
        price,
    )
    ipd_amt[:, 4] = heap(ipd_amt[:, 4] * nights)
    ipub = np.isin(fac, PUBLIC_PROVIDERS)
    icard = insured[ap] & ipub & (rng.random(na) < CR["card_use_public"])
    if not b.endline:
        for j in (0, 1, 2):
            ipd_amt[:, j] = np.where(
                icard & hef_card[ap],
                0.0,
                np.where(icard, heap(ipd_amt[:, j] * ES["card_factor"]), ipd_amt[:, j]),
            )
    else:
        copay = np.array(P["nhi_copay_ipd"], float)[np.clip(fac - 1, 0, 2)]
        ipd_amt[:, 0] = np.where(icard, np.where(hef_card[ap], 0.0, copay), ipd_amt[:, 0])
        for j in (1, 2):
            ipd_amt[:, j] = np.where(
                icard, heap(ipd_amt[:, j] * P["nhi_residual_medicines"]), ipd_amt[:, j]
            )
    b.ap, b.na, b.fac, b.nights, b.ipd_amt, b.icard = ap, na, fac, nights, ipd_amt, icard
