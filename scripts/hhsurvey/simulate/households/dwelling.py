"""Step 4 of a block: dwelling, assets and travel times of each household.

The ten dwelling and asset answers (HC1-HC10; electricity needs the grid) by area and wealth,
and the travel times to the health centre and the district hospital around the village's.
"""

from __future__ import annotations

import numpy as np

from hhsurvey.simulate.draws import expit
from hhsurvey.simulate.households.block import Block


def dwelling(b: Block) -> None:
    """Sets hc (H, 10), dist_hc and dist_hosp (minutes, rounded to 5)."""
    P, rng, H, urban, w = b.P, b.rng, b.H, b.urban, b.w
    AS = P["assets"]
    hc_int = np.where(
        urban[:, None], np.array(AS["intercept_urban"]), np.array(AS["intercept_rural"])
    )
    hc_int[:, 0] = np.where(b.vcol("_electrified"), hc_int[:, 0], AS["electricity_no_grid"])
    hc = rng.random((H, 10)) < expit(hc_int + np.outer(w, AS["wealth_slope"]))
    V = P["villages"]
    dsd = V["dist_household_sd_log"]
    dist_hc = np.maximum(
        5 * np.round(b.vcol("_dist_hc") * np.exp(dsd * rng.standard_normal(H)) / 5), 5
    )
    dist_hosp = np.maximum(
        5 * np.round(b.vcol("_dist_hosp") * np.exp(dsd * rng.standard_normal(H)) / 5), 5
    )
    b.hc, b.dist_hc, b.dist_hosp = hc, dist_hc, dist_hosp
