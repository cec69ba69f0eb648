"""Step 9 of a block: illness and care of the children under five (u5.sav).

Diarrhoea, fever, cough, rapid breathing and chest problems in the last two weeks (a shared
child score: village effect, wealth, noise), whether advice or treatment was sought and where.
"""

from __future__ import annotations

import numpy as np

from hhsurvey.simulate.draws import draw_fixed, expit
from hhsurvey.simulate.households.block import Block


def under_fives(b: Block) -> None:
    """Sets kid (person index of each child 0-4), ca1..ca7 and sym (any symptom)."""
    P, rng, vil, h, pv = b.P, b.rng, b.vil, b.h, b.pv
    age, insured, w_p, dist_hc = b.age, b.insured, b.w_p, b.dist_hc
    U = P["under5"]
    kid = np.flatnonzero(age <= 4)
    nk = len(kid)
    z = vil["_u_child"].to_numpy()[pv[kid]] + 0.5 * rng.standard_normal(nk) + U["wealth"] * w_p[kid]
    rk = rng.random((7, nk))
    ca1 = rk[0] < expit(U["diarrhoea"] + z + 0.4 * (age[kid] < 2))
    ca2 = rk[1] < expit(U["fever"] + z)
    ca3 = rk[2] < expit(U["cough"] + z + 0.8 * ca2)
    ca4 = rk[3] < expit(
        np.where(ca3, U["rapid_breath_if_cough"], U["rapid_breath_no_cough"]) + 0.5 * z
    )
    ca5 = rk[4] < expit(np.where(ca4, U["chest_if_rapid"], U["chest_no_rapid"]))
    sym = ca1 | ca2 | ca3 | ca4
    ca6 = sym & (
        rk[5]
        < expit(
            U["care_intercept"]
            + U["care_wealth"] * w_p[kid]
            + U["care_insured"] * insured[kid]
            + U["care_log_dist"] * np.log(dist_hc[h[kid]] / 30)
            + vil["_u_care"].to_numpy()[pv[kid]]
        )
    )
    ca7 = np.array(U["source_codes"])[draw_fixed(rng, U["source_share"], nk)]
    b.kid, b.sym = kid, sym
    b.ca1, b.ca2, b.ca3, b.ca4, b.ca5, b.ca6, b.ca7 = ca1, ca2, ca3, ca4, ca5, ca6, ca7
