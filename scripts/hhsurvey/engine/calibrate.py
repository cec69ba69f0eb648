"""Calibration of a design to population counts: post-stratification and raking, as R.

:meth:`hhsurvey.engine.design.SurveyDesign.poststratify` and ``rake`` call :func:`poststratify`
and :func:`rake`, which return the calibrated weights and the calibration steps; the design
keeps both in a new design object. Each step is stored as R's ``postStratify`` stores it
(:class:`CalStep`: cells, weights after the step, weights of the cell means), grouped in
blocks (:class:`CalBlock`: a post-stratification is one step applied once, a raking its margins
cycled 10 times, as R).

The variance of a calibrated design uses R's linearisation: the scores are replaced by their
residuals from the cell means of every step. :func:`corrections` computes those residuals in
closed form (one correction per cell and step), and :func:`residualise` applies them to dense
scores; :mod:`hhsurvey.engine.taylor` uses both.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hhsurvey.engine.domains import by_codes
from hhsurvey.engine.kernels import TaylorDesign

__all__ = ["CalBlock", "CalStep", "cal_steps", "corrections", "poststratify", "rake", "residualise"]


@dataclass(frozen=True, eq=False)
class CalStep:
    """One post-stratification step as stored by R's postStratify (for the linearisation)."""

    cell: np.ndarray  # (n,) cell codes 0..P-1
    P: int
    psw: np.ndarray  # (n,) weights after this step (0 replaced by 1 where also oldw == 0)
    omega: np.ndarray  # (n,) weights of the cell mean: old weights (postStratify) or 1 (rake)


@dataclass(frozen=True, eq=False)
class CalBlock:
    """postStratify = one step applied once; rake = its margins cycled 10 times (R)."""

    steps: tuple[CalStep, ...]
    n_iter: int


def cal_steps(cal: tuple[CalBlock, ...]) -> list[CalStep]:
    """The steps of all calibration blocks, in order."""
    return [st for b in cal for st in b.steps]


# ----------------------------------------------------------------------------- calibration
def _totals_series(totals: pd.Series | Mapping[str, pd.Series]) -> pd.Series:
    """Normalise population totals to a Series whose index names are data columns."""
    if isinstance(totals, pd.Series):
        if any(nm is None for nm in totals.index.names):
            raise ValueError("population totals Series needs index.names set to the data column(s)")
        return totals
    if isinstance(totals, Mapping) and len(totals) == 1:
        (col, s), *_ = totals.items()
        if not isinstance(s, pd.Series):
            s = pd.Series(s)
        s = s.copy()
        if isinstance(col, tuple):
            s.index = s.index.set_names(list(col))
        else:
            s.index = s.index.set_names(col)
        return s
    raise ValueError(
        "population totals must be a Series named by column(s) or a one-entry {column: Series} mapping"
    )


def poststratify(
    d: TaylorDesign, totals: pd.Series | Mapping[str, pd.Series], partial: bool
) -> tuple[np.ndarray, tuple[CalBlock, ...]]:
    """Weights post-stratified to ``totals`` and the design's calibration plus this step."""
    series = _totals_series(totals)
    step, new_w = _ps_step(d, series, d._s.w, partial)
    return new_w, (*d._cal, CalBlock((step,), 1))


def rake(
    d: TaylorDesign,
    margins: Mapping[str, pd.Series] | Sequence[pd.Series],
    max_iter: int,
    epsilon: float,
) -> tuple[np.ndarray, tuple[CalBlock, ...]]:
    """Weights raked to ``margins`` (R ``rake``) and the design's calibration plus the raking.

    Stops when the weighted cross-table of all margin variables changes by less than
    ``epsilon`` (a fraction of the weight total when < 1) or after ``max_iter`` sweeps
    (RuntimeWarning).
    """
    if isinstance(margins, Mapping):
        series = [_totals_series({k: v}) for k, v in margins.items()]
    else:
        series = [_totals_series(m) for m in margins]
    if not series:
        raise ValueError("rake needs at least one margin")
    w = d._s.w
    eps = epsilon * float(w.sum()) if epsilon < 1 else float(epsilon)
    allcols = list(dict.fromkeys(c for s in series for c in s.index.names))
    joint, _, _, _ = by_codes(d, allcols)

    def table(wt: np.ndarray) -> np.ndarray:
        return np.bincount(joint, weights=wt, minlength=int(joint.max()) + 1)

    old = table(w)
    converged, it, steps = False, 0, ()
    while it < max_iter:
        new_steps = []
        for s in series:
            step, w = _ps_step(d, s, w, False)
            new_steps.append(CalStep(step.cell, step.P, step.psw, np.ones(d._s.n)))
        steps = tuple(new_steps)
        new = table(w)
        if np.max(np.abs(old - new)) < eps:
            converged = True
            break
        old = new
        it += 1
    if not converged:
        # stacklevel: the caller of SurveyDesign.rake
        warnings.warn(
            f"Raking did not converge after {it} iterations.", RuntimeWarning, stacklevel=3
        )
    return w, (*d._cal, CalBlock(steps, 10))


def _ps_step(
    d: TaylorDesign, totals: pd.Series, w: np.ndarray, partial: bool
) -> tuple[CalStep, np.ndarray]:
    """One postStratify: scale weights in each cell to its population count."""
    cols = list(totals.index.names)
    for c in cols:
        if c is None or c not in d.data.columns:
            raise ValueError(
                f"population totals index must be named after data columns, got {cols}"
            )
    codes, labels, miss, _ = by_codes(d, cols)
    if miss is not None:
        raise ValueError(f"missing values in post-stratification column(s) {cols}")
    P = len(labels)
    samp = np.bincount(codes, weights=w, minlength=P)
    cell_keys = pd.MultiIndex.from_frame(labels) if len(cols) > 1 else pd.Index(labels[cols[0]])
    pop_index = totals.index if len(cols) > 1 else pd.Index(totals.index)
    pos = pop_index.get_indexer(cell_keys)
    if np.any(pos < 0):
        absent = [cell_keys[i] for i in np.flatnonzero(pos < 0)]
        raise ValueError(
            f"post-strata in the sample but not in the population totals: {absent[:10]}"
        )
    pop = totals.to_numpy(dtype=np.float64)[pos]
    only_pop = np.setdiff1d(np.arange(len(totals)), pos)
    only_pop = only_pop[totals.to_numpy(dtype=np.float64)[only_pop] > 0]
    if len(only_pop) and not partial:
        raise ValueError(
            f"population cells absent from the sample: {list(totals.index[only_pop])[:10]}; use partial=True to ignore them"
        )
    if np.any(np.isnan(pop)) or np.any(pop < 0):
        raise ValueError("population totals must be non-negative numbers")
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(samp > 0, pop / samp, 0.0)
    if np.any((samp == 0) & (pop > 0)):
        raise ValueError("a post-stratum has zero sample weight but a positive population count")
    new_w = w * g[codes]
    psw = np.where((new_w == 0) & (w == 0), 1.0, new_w)
    return CalStep(np.asarray(codes), P, psw, w.copy()), new_w


# ----------------------------------------------------------------------------- linearisation
def corrections(
    cal: tuple[CalBlock, ...], z: np.ndarray, codes: np.ndarray | None, k: int
) -> list[np.ndarray]:
    """R's calibration residualisation in closed form: (P_s, k) cell corrections.

    The residualised score is x_i = z_i + sum_s psw_s(i) C_s[cell_s(i)], where each
    step replaces x by x - psw_s * (omega-weighted cell mean of x / psw_s).
    """
    steps = cal_steps(cal)
    dense = z.ndim == 2

    def cellsum(step: CalStep, vals: np.ndarray) -> np.ndarray:
        if dense:
            return np.stack(
                [
                    np.bincount(step.cell, weights=vals * z[:, j], minlength=step.P)
                    for j in range(k)
                ],
                1,
            )
        key = step.cell if codes is None else step.cell * k + codes
        return np.bincount(key, weights=vals * z, minlength=step.P * k).reshape(step.P, k)

    ratio = [st.omega / st.psw for st in steps]
    A = [cellsum(st, r) for st, r in zip(steps, ratio, strict=True)]
    omega_tot = [np.bincount(st.cell, weights=st.omega, minlength=st.P) for st in steps]
    B = {}
    for i, si in enumerate(steps):
        for j, sj in enumerate(steps):
            B[i, j] = np.bincount(
                si.cell * sj.P + sj.cell, weights=ratio[i] * sj.psw, minlength=si.P * sj.P
            ).reshape(si.P, sj.P)
    C = [np.zeros((st.P, k)) for st in steps]
    idx = 0
    for block in cal:
        ids = list(range(idx, idx + len(block.steps)))
        idx += len(block.steps)
        for _ in range(block.n_iter):
            for i in ids:
                M = A[i] + sum(B[i, j] @ C[j] for j in range(len(steps)))
                with np.errstate(invalid="ignore", divide="ignore"):
                    M = np.where(omega_tot[i][:, None] > 0, M / omega_tot[i][:, None], 0.0)
                C[i] = C[i] - M
    return C


def residualise(cal: tuple[CalBlock, ...], U: np.ndarray) -> np.ndarray:
    """Dense (n, p) row scores replaced by their calibration residuals."""
    C = corrections(cal, U, None, U.shape[1])
    steps = cal_steps(cal)
    return U + sum(step.psw[:, None] * Cs[step.cell] for step, Cs in zip(steps, C, strict=True))
