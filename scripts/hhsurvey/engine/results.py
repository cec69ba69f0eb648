"""What the engine returns: the tidy vocabulary of estimates, and results objects.

Every estimator of the engine returns one row per domain with the columns of
:data:`OUTPUT_COLUMNS` (after the ``by`` columns), built by :func:`tidy` (or :func:`empty_by`
for a ``by`` without levels); tables built on estimates elsewhere (indicators, changes,
scenarios) take these names from here. :class:`Estimate` is a Taylor estimate with the
influence values of its rows (covariance matrix, contrasts), and :func:`stack` joins estimates
of one design or of several samples (rounds).

The column names themselves live in :mod:`hhsurvey.engine.columns` (re-exported here as
:data:`OUTPUT_COLUMNS`), which the output layer reads. This module never imports the design (:mod:`hhsurvey.engine.design`); an :class:`Estimate` holds its design
and reads it through :class:`hhsurvey.engine.kernels.TaylorDesign`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hhsurvey.engine.columns import OUTPUT_COLUMNS
from hhsurvey.engine.kernels import (
    TaylorDesign,
    check_level,
    member_df,
    psu_covariance,
    quantile_probs,
    t_test,
    tcrit,
)

__all__ = ["OUTPUT_COLUMNS", "Estimate", "empty_by", "stack", "tidy"]


# ----------------------------------------------------------------------------- tidy tables
def tidy(
    labels: pd.DataFrame | None,
    est: np.ndarray,
    se: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    df: np.ndarray,
    deff: np.ndarray,
    n: np.ndarray,
    nw: np.ndarray,
) -> pd.DataFrame:
    """One row per domain: by columns, then :data:`OUTPUT_COLUMNS` (float64, the count ``n``
    int64), in the order of the arguments."""
    values = (est, se, lo, hi, df, deff, n, nw)
    body = {
        name: np.asarray(v, dtype=np.int64 if name == "n" else np.float64).reshape(-1)
        for name, v in zip(OUTPUT_COLUMNS, values, strict=True)
    }
    out = pd.DataFrame(body)
    if labels is not None:
        out = pd.concat([labels.reset_index(drop=True), out], axis=1)
    return out


def empty_by(labels: pd.DataFrame | None, q: float | Sequence[float] | None = None) -> pd.DataFrame:
    """The table of a ``by=`` whose columns have no non-missing value: no domain, no rows.

    Same columns and dtypes as a non-empty result (the by columns keep their levels' dtype;
    a sequence of quantile probabilities adds the leading ``p`` column).
    """
    e = np.empty(0)
    out = tidy(labels, e, e, e, e, e, e, e, e)
    if q is not None:
        quantile_probs(q)
        if not np.isscalar(q) and np.ndim(q) > 0:
            out.insert(0, "p", e)
    return out


# ----------------------------------------------------------------------------- results object
class Estimate:
    """A Taylor estimate with its influence values (statsmodels' ``Results``, for surveys).

    Made by :meth:`hhsurvey.engine.design.SurveyDesign.estimate` or :func:`stack`; immutable.

    Attributes
    ----------
    table : the tidy table of the estimator (by columns, then :data:`OUTPUT_COLUMNS`), one row
        per domain; after :func:`stack`, a leading key column names the part each row comes
        from.
    influence : (n, k) array: for each row of the design's data (the stacked data after
        :func:`stack`) its linearisation value for each of the k rows of ``table``.
    member : (n, k) boolean array: the row lies in that table row's domain with a positive
        weight (what the domain df counts).
    design : the design of the rows (a stacked design after :func:`stack`).
    level : confidence level of the intervals.
    """

    __slots__ = ("design", "influence", "level", "member", "table")

    design: TaylorDesign
    table: pd.DataFrame
    influence: np.ndarray
    member: np.ndarray
    level: float

    def __init__(
        self,
        design: TaylorDesign,
        table: pd.DataFrame,
        influence: np.ndarray,
        member: np.ndarray,
        level: float,
    ) -> None:
        influence = np.asarray(influence, dtype=np.float64)
        member = np.asarray(member, dtype=bool)
        if influence.shape != (design._s.n, len(table)) or member.shape != influence.shape:
            raise ValueError(
                f"influence and member must be (n={design._s.n}, k={len(table)}), got "
                f"{influence.shape} and {member.shape}"
            )
        influence.flags.writeable = False
        member.flags.writeable = False
        for name, value in (
            ("design", design),
            ("table", table),
            ("influence", influence),
            ("member", member),
            ("level", float(level)),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Estimate is immutable; cannot set {name!r}")

    def __repr__(self) -> str:
        return f"Estimate(k={len(self.table)}, n={self.influence.shape[0]}, level={self.level})"

    def __len__(self) -> int:
        return len(self.table)

    @property
    def estimates(self) -> np.ndarray:
        """The k estimates (the ``estimate`` column of :attr:`table`)."""
        return self.table["estimate"].to_numpy(dtype=np.float64)

    def _psu_totals(self, U: np.ndarray) -> np.ndarray:
        s = self.design._s
        return np.stack(
            [np.bincount(s.psu, weights=U[:, j], minlength=s.G) for j in range(U.shape[1])],
            axis=1,
        ).reshape(s.G, U.shape[1])

    def _present(self, member: np.ndarray) -> np.ndarray:
        """(H, p): the stratum holds a positive-weight row of each column's domain."""
        s = self.design._s
        return np.stack(
            [np.bincount(s.stratum[m], minlength=s.H) > 0 for m in member.T], axis=1
        ).reshape(s.H, member.shape[1])

    def vcov(self) -> np.ndarray:
        """(k, k) covariance matrix of the estimates, from the PSU totals of the influence
        values within strata (the engine's variance formula, fpc and lonely-PSU rule included;
        its diagonal is ``table.se ** 2``). Rows of domains without weight are NaN."""
        d = self.design
        T = self._psu_totals(self.influence)
        cov = psu_covariance(d._s, T, self._present(self.member), d.lonely_psu)
        empty = ~self.member.any(axis=0)
        cov[empty, :] = np.nan
        cov[:, empty] = np.nan
        return cov

    def contrast(
        self,
        weights: Sequence[float] | np.ndarray | Mapping[int, float],
        level: float | None = None,
    ) -> pd.DataFrame:
        """One tidy row for sum_j weights_j x estimate_j (R ``svycontrast``).

        ``weights``: one coefficient per row of :attr:`table`, or a mapping {row position:
        coefficient} (other rows 0). The SE is that of the combined influence values; ``df``
        counts the PSUs that hold a positive-weight row of any domain with a non-zero
        coefficient, minus their strata (R ``degf(subset(design, those domains))``; the design
        df under ``domain_df="design"``); the interval is estimate +- t(df) x SE, and
        ``p_value`` tests the combination against 0.
        ``deff`` and ``n_weighted`` are NaN; ``n`` counts the rows of those domains.
        """
        k = len(self.table)
        if isinstance(weights, Mapping):
            c = np.zeros(k)
            for j, cj in weights.items():
                c[int(j)] = float(cj)
        else:
            c = np.asarray(weights, dtype=np.float64).reshape(-1)
            if len(c) != k:
                raise ValueError(f"contrast needs {k} weights (one per table row), got {len(c)}")
        level = self.level if level is None else float(level)
        check_level(level)
        used = c != 0
        est = float(np.dot(c[used], self.estimates[used])) if used.any() else 0.0
        member = self.member[:, used].any(axis=1)
        d = self.design
        z = self.influence[:, used] @ c[used]
        T = self._psu_totals(z[:, None])
        present = self._present(member[:, None])
        var = float(psu_covariance(d._s, T, present, d.lonely_psu)[0, 0])
        se = math.sqrt(var) if var >= 0 else math.nan
        df = member_df(d, member)
        q = float(tcrit(level, df))
        out = tidy(
            None,
            np.array([est]),
            np.array([se]),
            np.array([est - q * se]),
            np.array([est + q * se]),
            np.array([df]),
            np.array([math.nan]),
            np.array([int(member.sum())]),
            np.array([math.nan]),
        )
        return out.assign(p_value=t_test(est, se, df))


def stack(
    estimates: Sequence[Estimate] | Mapping[str, Estimate],
    *,
    shared_psus: bool = False,
    key: str = "part",
) -> Estimate:
    """Join estimates into one :class:`Estimate` whose :meth:`~Estimate.vcov` and
    :meth:`~Estimate.contrast` cover all their rows.

    - Estimates of one design object (several variables or estimators on one sample): their
      influence columns are put side by side, so covariances between them enter.
    - Estimates of different samples (two rounds): their rows are stacked into one design.
      With ``shared_psus=False`` (independent samples) strata become part x stratum and PSUs
      are distinct, so the parts are independent. With ``shared_psus=True`` (PSUs revisited)
      strata and PSU labels are shared: a PSU present in both parts is one PSU, and the
      covariance between the parts enters. Influence values are taken as they are (already
      residualised for calibration); a stage-1 fpc is carried per row.

    The table gets a leading column ``key`` with the part names (the mapping's keys, or
    0, 1, ...). The confidence level is the first estimate's; the lonely-PSU rule too. The
    stacked design is made by the class of the first estimate's design (this module does not
    import :mod:`hhsurvey.engine.design`).
    """
    if isinstance(estimates, Mapping):
        names, parts = list(estimates.keys()), list(estimates.values())
    else:
        parts = list(estimates)
        names = list(range(len(parts)))
    if not parts:
        raise ValueError("stack needs at least one estimate")
    table = pd.concat(
        [p.table.assign(**{key: nm}) for nm, p in zip(names, parts, strict=True)],
        ignore_index=True,
    )
    table = table[[key, *[c for c in table.columns if c != key]]]
    first = parts[0]
    if all(p.design is first.design for p in parts):
        U = np.concatenate([p.influence for p in parts], axis=1)
        M = np.concatenate([p.member for p in parts], axis=1)
        return Estimate(first.design, table, U, M, first.level)
    roots = {id(getattr(p.design, "_parent", None) or p.design) for p in parts}
    if len(roots) == 1:
        raise ValueError(
            "these estimates come from one design with missing='drop', whose calls dropped "
            "different rows (those missing each call's variables): they are not one sample. "
            "Build the design on the rows complete in every variable to combine them, or use "
            "missing='zero_weight'"
        )
    frames = []
    fpc = any(p.design.fpc is not None for p in parts)
    for nm, p in zip(names, parts, strict=True):
        d, s = p.design, p.design._s
        tag = "" if shared_psus else f"{nm}:"
        stratum = tag + pd.Series(np.asarray(s.strata_labels)[s.stratum]).astype("str")
        if s.element:
            psu = f"{nm}:row" + pd.Series(np.arange(s.n)).astype("str")
        else:
            psu = tag + d.data[d.psu].astype("str").reset_index(drop=True)
        cols = {"_stratum": stratum.to_numpy(), "_psu": psu.to_numpy(), "_w": s.w}
        if fpc:
            cols["_fpc"] = s.fpc_pop[s.stratum]
        frames.append(pd.DataFrame(cols))
    data = pd.concat(frames, ignore_index=True)
    design = type(first.design)(
        data,
        weight="_w",
        strata="_stratum",
        psu="_psu",
        fpc="_fpc" if fpc else None,
        lonely_psu=first.design.lonely_psu,
        missing=first.design.missing,
        domain_df=first.design.domain_df,
    )
    n = [p.influence.shape[0] for p in parts]
    k = [p.influence.shape[1] for p in parts]
    U = np.zeros((sum(n), sum(k)))
    M = np.zeros((sum(n), sum(k)), dtype=bool)
    r0 = c0 = 0
    for p, ni, ki in zip(parts, n, k, strict=True):
        U[r0 : r0 + ni, c0 : c0 + ki] = p.influence
        M[r0 : r0 + ni, c0 : c0 + ki] = p.member
        r0, c0 = r0 + ni, c0 + ki
    return Estimate(design, table, U, M, first.level)
