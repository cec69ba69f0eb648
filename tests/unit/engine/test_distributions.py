"""The library's distribution functions (scipy.special) give exactly what scipy.stats gives,
boundaries, infinite and missing df included, and the estimating modules no longer import
scipy.stats (0.5 s of start-up in every job)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from scipy import stats
from testpaths import REPO

from hhsurvey.engine import distributions as d

RNG = np.random.default_rng(20261207)
N = 5000


def same(got, want) -> None:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape
    assert ((got == want) | (np.isnan(got) & np.isnan(want))).all()


def test_bit_for_bit_as_scipy_stats():
    q = np.r_[RNG.uniform(0, 1, N), 0.0, 1.0, 0.5, 1e-12, 1 - 1e-12, np.nan]
    df = np.r_[RNG.integers(1, 300, N).astype(float), np.inf, np.inf, np.nan, 1.0, 2.0, 1e6]
    x = np.r_[RNG.normal(0, 4, N), 0.0, np.inf, -np.inf, np.nan, 1.96, -1.96]
    same(d.t_ppf(q, df), stats.t.ppf(q, df))
    same(d.t_ppf(0.975, 30.0), stats.t.ppf(0.975, 30.0))  # scalars stay scalars
    assert np.ndim(d.t_ppf(0.975, 30.0)) == 0
    same(d.t_sf(x, df), stats.t.sf(x, df))
    same(d.norm_ppf(q), stats.norm.ppf(q))
    same(d.norm_sf(x), stats.norm.sf(x))
    a = np.r_[RNG.integers(0, 80, N).astype(float), 0.0, 1.0, 5.0, 0.5, 2.0, 3.0]
    b = np.r_[RNG.integers(1, 80, N).astype(float), 3.0, 0.0, 1.0, 0.5, 1.0, 2.0]
    same(d.beta_ppf(q, a, b), stats.beta.ppf(q, a, b))
    d1, d2, pos = RNG.uniform(0.5, 20, N + 6), RNG.uniform(1, 300, N + 6), np.abs(x)
    same(d.f_sf(pos, d1, d2), stats.f.sf(pos, d1, d2))
    same(d.chi2_sf(pos, d1), stats.chi2.sf(pos, d1))


def test_the_estimating_modules_do_not_import_scipy_stats():
    code = (
        "import sys; import hhsurvey.analysis.indicators.estimate, hhsurvey.analysis.compare, "
        "hhsurvey.analysis.scenarios, hhsurvey.analysis.planning, hhsurvey.analysis.differences; "
        "print('scipy.stats' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(REPO / "scripts")},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"
