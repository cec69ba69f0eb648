"""The endline plan of one indicator computed by hand (docs/methods.md "Endline planning"),
step by step, shared by the unit test of analysis.planning and the workflow test that checks
the plan_endline rule's CSV."""

from __future__ import annotations

import math

from scipy import stats


def hand(est, se, deff, df, n, target, villages=20, households=284, strata=2, A=20, B=15, r=0.5):
    """The plan of one indicator, by hand."""
    m = n / villages  # persons (or households) per village
    rho = max(0.0, (deff - 1) / (m - 1))  # docs/methods.md: at least 0
    s2 = n * se**2 / deff
    u = n / households
    deff_e = 1 + (B * u - 1) * rho
    v_b, v_e = se**2, s2 * deff_e / (A * B * u)
    k_ind = stats.t.ppf(0.975, df + A - strata) + stats.t.ppf(0.80, df + A - strata)
    k_rev = stats.t.ppf(0.975, A - strata) + stats.t.ppf(0.80, A - strata)
    mdc_ind = k_ind * math.sqrt(v_b + v_e)
    mdc_rev = k_rev * math.sqrt(v_b + v_e - 2 * r * math.sqrt(v_b * v_e))

    def needed(revisit: bool) -> int:
        for a in range(strata + 1, 5_000):
            ve = s2 * deff_e / (a * B * u)
            if revisit:
                k = stats.t.ppf(0.975, a - strata) + stats.t.ppf(0.80, a - strata)
                v = v_b + ve - 2 * r * math.sqrt(v_b * ve)
            else:
                k = stats.t.ppf(0.975, df + a - strata) + stats.t.ppf(0.80, df + a - strata)
                v = v_b + ve
            if k * math.sqrt(v) <= target:
                return a
        return float("nan")

    return {
        "icc": rho,
        "mdc_independent": mdc_ind,
        "mdc_revisit": mdc_rev,
        "villages_needed_independent": needed(False),
        "villages_needed_revisit": needed(True),
    }
