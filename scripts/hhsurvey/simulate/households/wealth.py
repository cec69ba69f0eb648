"""Step 1 of a block: wealth and household size.

Log consumption per person around the area median with the village wealth effect, the head's
sex and age, the household size (Poisson, depending on area, head's age and wealth), and the
wealth score relative to the round's own reference level.
"""

from __future__ import annotations

import numpy as np

from hhsurvey.simulate.households.block import Block


def wealth_and_size(b: Block) -> None:
    """Sets head_female, head_age, size, w (wealth score) and pc_month (round prices)."""
    P, rng, H, urban = b.P, b.rng, b.H, b.urban
    W, HS = P["wealth"], P["households"]
    mu = np.where(urban, np.log(W["median_pc_month_urban"]), np.log(W["median_pc_month_rural"]))
    lpc0 = (
        mu
        + b.vcol("_u_wealth")
        + W["sd_household"] * rng.standard_normal(H)
        + np.log(P["real_growth"])
    )
    # the wealth score is relative to the round's own reference level (a rank-like index), so
    # real growth raises consumption without changing behaviour that depends on relative wealth
    lref = np.log(W["wealth_ref_pc_month"] * P["real_growth"])
    w0 = (lpc0 - lref) / W["wealth_ref_sd"]
    head_female = rng.random(H) < HS["female_head"]
    head_age = np.clip(
        HS["head_age_min"] + rng.gamma(HS["head_age_gamma_shape"], HS["head_age_gamma_scale"], H),
        18,
        90,
    ).astype(np.int64)
    lam = np.where(urban, HS["mean_size_urban"], HS["mean_size_rural"]) - 1
    lam = lam * np.interp(head_age, HS["size_head_age_knots"], HS["size_head_age_factor"])
    size = np.minimum(1 + rng.poisson(lam * np.exp(HS["size_wealth_slope"] * w0)), HS["max_size"])
    lpc = lpc0 + W["size_elasticity"] * (np.log(size) - np.log(5))
    b.head_female, b.head_age, b.size = head_female, head_age, size
    b.w = (lpc - lref) / W["wealth_ref_sd"]  # wealth score
    b.pc_month = np.exp(lpc) * b.price  # non-health consumption per person per month, round prices
