"""Composite indicators: statistics that are not linear in the weights.

Each is computed with the full-sample weights and its standard error from JKn replicate weights
that recompute the whole statistic (estimated subsistence line, median-based societal line and
ranks included): the WHO capacity-to-pay and revised SDG 3.8.2 catastrophes, the concentration
index, the Kakwani index and the catastrophic-headcount curve. The numeric kernels come first
(pure functions of arrays), then the replicate machinery (:func:`jackknife_groups`,
:func:`replicate_rows`, :func:`household_pop_share`), then the definitions registered for the
catalogue (:func:`hhsurvey.analysis.indicators.definitions.register`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from hhsurvey.analysis.indicators.definitions import evaluate, register
from hhsurvey.catalogue.model import Indicator
from hhsurvey.engine.columns import N_UNWEIGHTED, N_WEIGHTED, TABLE_COLUMNS, N
from hhsurvey.engine.design import SurveyDesign

__all__ = [
    "COMPOSITE_FLAGS",
    "CapacityToPay",
    "FLAG_COLUMNS",
    "JKN_MAX_PSUS",
    "RankedConcentration",
    "RevisedSdg",
    "composite_flags",
    "concentration_index",
    "ctp_catastrophic",
    "ctp_flags",
    "food_share",
    "fractional_rank",
    "household_pop_share",
    "jackknife_groups",
    "replicate_rows",
    "revised_sdg_catastrophic",
    "revised_sdg_flags",
    "weighted_median",
    "weighted_percentile",
]

log = logging.getLogger(__name__)

#: JKn with one replicate per PSU up to this many PSUs, groups of PSUs above (default of the
#: config's ``indicators.jkn_max_psus``).
JKN_MAX_PSUS = 200


# ---------------------------------------------------------------------------------------------
# Kernels: catastrophe, ranks and concentration for one weight vector


def weighted_percentile(x: np.ndarray, w: np.ndarray, p: float) -> float:
    """Smallest value whose cumulative weight share is >= p (docs/definitions.md, capacity to pay)."""
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    cum = np.cumsum(ws) / ws.sum()
    return float(xs[np.searchsorted(cum, p - 1e-12, side="left")])


def _sorted_percentile(xs: np.ndarray, ws: np.ndarray, p: float) -> float:
    """:func:`weighted_percentile` on values already sorted (``ws`` in the same order).

    Zero weights may be included: they never move the cumulative share, so the result is
    the one of the positive-weight values alone (replicates sort once, not once each).
    """
    return _sorted_percentiles(xs, ws, (p,))[0]


def _sorted_percentiles(xs: np.ndarray, ws: np.ndarray, ps: tuple[float, ...]) -> list[float]:
    """:func:`_sorted_percentile` of several shares ``ps`` from one cumulative sum."""
    cum = np.cumsum(ws) / ws.sum()
    return [float(xs[np.searchsorted(cum, p - 1e-12, side="left")]) for p in ps]


def weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    """Weighted median as the smallest value with cumulative weight share >= 0.5."""
    return weighted_percentile(x, w, 0.5)


def food_share(food: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Food share of total consumption (0 where the total is not positive)."""
    return np.divide(food, total, out=np.zeros_like(food, dtype="float64"), where=total > 0)


class CapacityToPay:
    """WHO capacity-to-pay catastrophe (Xu et al. 2003) of the households, for any weights.

    What does not depend on the weights is computed once (equivalence scale, food share and,
    given ``order``, the food shares sorted), so that each replicate pays only for its own
    percentiles, line and flags. ``order``: optional stable argsort of :func:`food_share`.

    eqsize = hhsize^beta; the households whose food share lies between the band's
    percentiles (inclusive, household-weighted) give pl = weighted mean of food / eqsize;
    subsistence = pl x eqsize; capacity to pay = total - subsistence if food >= subsistence,
    else total - food; catastrophic if OOP >= threshold x capacity to pay.
    """

    def __init__(
        self,
        food: np.ndarray,
        total: np.ndarray,
        oop: np.ndarray,
        hhsize: np.ndarray,
        *,
        beta: float,
        band: tuple[float, float],
        threshold: float,
        order: np.ndarray | None = None,
    ) -> None:
        self.food, self.total, self.oop = food, total, oop
        self.band, self.threshold, self.order = band, threshold, order
        self.eqsize = hhsize.astype("float64") ** beta
        self.share = food_share(food, total)
        self.sorted_share = None if order is None else self.share[order]
        self.paying = oop > 0
        self.total_less_food = total - food

    def __call__(self, w: np.ndarray) -> tuple[np.ndarray, float]:
        """The catastrophe flag of each household and the line pl, under weights ``w``."""
        share, band = self.share, self.band
        pos = w > 0
        if self.order is None:
            lo = weighted_percentile(share[pos], w[pos], band[0])
            hi = weighted_percentile(share[pos], w[pos], band[1])
        else:
            lo, hi = _sorted_percentiles(self.sorted_share, w[self.order], band)
        inband = pos & (share >= lo) & (share <= hi)
        pl = float(np.sum(w[inband] * self.food[inband] / self.eqsize[inband]) / np.sum(w[inband]))
        subsistence = pl * self.eqsize
        ctp = np.where(self.food >= subsistence, self.total - subsistence, self.total_less_food)
        return self.paying & (self.oop >= self.threshold * ctp), pl


def ctp_catastrophic(
    food: np.ndarray,
    total: np.ndarray,
    oop: np.ndarray,
    hhsize: np.ndarray,
    w: np.ndarray,
    *,
    beta: float,
    band: tuple[float, float],
    threshold: float,
    order: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """:class:`CapacityToPay` of the households under one weight vector: flags and line."""
    return CapacityToPay(
        food, total, oop, hhsize, beta=beta, band=band, threshold=threshold, order=order
    )(w)


class RevisedSdg:
    """Revised SDG 3.8.2 catastrophe of the households, for any population weights: OOP > 0
    and OOP > threshold x (total - SPL x hhsize x 365).

    SPL = max(international line, 1.15 + 0.5 x population median of daily per-capita
    consumption), in 2017 PPP $ per person per day, converted to LAK with the PPP factor.
    ``order``: optional stable argsort of ``pc_total`` (the daily consumption is then sorted
    once for every replicate's median).
    """

    def __init__(
        self,
        pc_total: np.ndarray,
        total: np.ndarray,
        oop: np.ndarray,
        hhsize: np.ndarray,
        *,
        lak_per_usd_ppp: float,
        ipl_usd: float,
        threshold: float,
        order: np.ndarray | None = None,
    ) -> None:
        self.total, self.oop, self.hhsize = total, oop, hhsize
        self.lak_per_usd_ppp, self.ipl_usd, self.threshold = lak_per_usd_ppp, ipl_usd, threshold
        self.order = order
        self.daily_ppp = pc_total / 365.0 / lak_per_usd_ppp
        self.sorted_daily = None if order is None else self.daily_ppp[order]
        self.paying = oop > 0

    def __call__(self, pop_w: np.ndarray) -> tuple[np.ndarray, float]:
        """The catastrophe flag of each household and the line SPL, under ``pop_w``."""
        if self.order is None:
            pos = pop_w > 0
            median = weighted_median(self.daily_ppp[pos], pop_w[pos])
        else:
            median = _sorted_percentile(self.sorted_daily, pop_w[self.order], 0.5)
        spl = max(self.ipl_usd, 1.15 + 0.5 * median)
        discretionary = self.total - spl * self.lak_per_usd_ppp * 365.0 * self.hhsize
        return self.paying & (self.oop > self.threshold * discretionary), spl


def revised_sdg_catastrophic(
    pc_total: np.ndarray,
    total: np.ndarray,
    oop: np.ndarray,
    hhsize: np.ndarray,
    pop_w: np.ndarray,
    *,
    lak_per_usd_ppp: float,
    ipl_usd: float,
    threshold: float,
    order: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """:class:`RevisedSdg` of the households under one population weight vector."""
    return RevisedSdg(
        pc_total,
        total,
        oop,
        hhsize,
        lak_per_usd_ppp=lak_per_usd_ppp,
        ipl_usd=ipl_usd,
        threshold=threshold,
        order=order,
    )(pop_w)


def fractional_rank(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted fractional rank in (0, 1); tied values share the rank of their group's midpoint."""
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    total = ws.sum()
    # group ties: cumulative weight before the group + half the group's weight
    uniq, start = np.unique(xs, return_index=True)
    gw = np.add.reduceat(ws, start)
    before = np.concatenate([[0.0], np.cumsum(gw)[:-1]])
    grp_rank = (before + gw / 2.0) / total
    ranks_sorted = np.repeat(grp_rank, np.diff(np.append(start, len(xs))))
    out = np.empty_like(ranks_sorted)
    out[order] = ranks_sorted
    return out


class RankedConcentration:
    """Concentration index of ``h`` by ``rank_by`` for many weight vectors, sorting once.

    Same value as :func:`concentration_index` (ties share their group's midpoint rank;
    rows with a missing ``h`` or ``rank_by`` are left out; zero weights contribute nothing),
    at O(n) per call instead of O(n log n): replicate weights reuse the order.
    """

    def __init__(self, h: np.ndarray, rank_by: np.ndarray, keep: np.ndarray | None = None) -> None:
        ok = ~np.isnan(h) & ~np.isnan(rank_by)
        if keep is not None:  # rows whose weight is always zero (outside the universe)
            ok &= keep
        self.ok = np.flatnonzero(ok)
        x = rank_by[self.ok]
        order = np.argsort(x, kind="stable")
        self.order = self.ok[order]
        xs = x[order]
        self.hs = h[self.order]
        new_group = np.concatenate([[True], xs[1:] != xs[:-1]]) if len(xs) else np.array([], bool)
        self.group = np.cumsum(new_group) - 1
        self.n_groups = int(new_group.sum())

    def __call__(self, w: np.ndarray) -> float:
        ws = w[self.order]
        total = ws.sum()
        gw = np.bincount(self.group, weights=ws, minlength=self.n_groups)
        before = np.cumsum(gw) - gw
        r = ((before + gw / 2.0) / total)[self.group]
        mu = np.sum(ws * self.hs) / total
        rbar = np.sum(ws * r) / total
        cov = np.sum(ws * (self.hs - mu) * (r - rbar)) / total
        return float(2.0 * cov / mu)


def concentration_index(h: np.ndarray, rank_by: np.ndarray, w: np.ndarray) -> float:
    """C = 2 cov_w(h, r) / mean_w(h), r the weighted fractional rank by living standard."""
    pos = (w > 0) & ~np.isnan(h) & ~np.isnan(rank_by)
    h, x, w = h[pos], rank_by[pos], w[pos]
    r = fractional_rank(x, w)
    mu = np.sum(w * h) / np.sum(w)
    rbar = np.sum(w * r) / np.sum(w)
    cov = np.sum(w * (h - mu) * (r - rbar)) / np.sum(w)
    return float(2.0 * cov / mu)


# ---------------------------------------------------------------------------------------------
# Replicates: tidy rows of a vector statistic with jackknife standard errors


def jackknife_groups(
    data: pd.DataFrame, strata: str | None, psu: str, max_psus: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Replicate strata and groups of PSUs for a delete-a-group jackknife (Kott 2001; Wolter
    2007, ch. 4): one (stratum code, group code) per row.

    None when the design has at most ``max_psus`` PSUs (one replicate per PSU, plain JKn).
    Otherwise each stratum's PSUs, in PSU order, are dealt systematically into
    G_h = max(2, round(max_psus x n_h / n)) groups (all n_h when fewer), so that about
    ``max_psus`` replicates remain. A group of PSUs drawn with replacement is again such a
    draw, so the jackknife on groups estimates the same variance with fewer degrees of freedom
    (groups - strata). Strata too small for two groups of their own (max_psus x n_h / n < 2:
    e.g. the hundreds of certainty villages of a large sample, each a stratum of its
    households) are pooled into one replicate stratum and dealt in their order, so that their
    number cannot multiply the replicates; pooling adds their between-stratum variation to
    the variance, which errs on the safe side.
    """
    keys = [c for c in (strata, psu) if c]
    units = data[keys].drop_duplicates().sort_values(keys, kind="stable")
    n = len(units)
    if n <= max_psus:
        return None
    st = (units[strata] if strata else pd.Series(0, index=units.index)).astype("str")
    ideal = st.map(st.value_counts()).to_numpy() * max_psus / n
    small = ideal < 2
    pooled = bool(small.any()) and st[small].nunique() > 1
    rep = st.where(~small, "(pooled small strata)") if pooled else st
    n_r = rep.map(rep.value_counts()).to_numpy()
    g_r = np.minimum(np.maximum(np.rint(max_psus * n_r / n), 2), n_r).astype("int64")
    rank = units.groupby(rep.to_numpy(), sort=False).cumcount().to_numpy()
    units = units.assign(_s=pd.factorize(rep)[0], _g=rank % g_r)
    units = units.assign(_code=pd.factorize(pd.MultiIndex.from_frame(units[["_s", "_g"]]))[0])
    out = data[keys].merge(units, on=keys, how="left", validate="many_to_one")
    log.info(
        "%d PSUs: jackknife replicates of composite indicators by %d groups of PSUs "
        "(indicators.jkn_max_psus = %d)%s",
        n,
        int(units["_code"].nunique()),
        max_psus,
        f"; {st[small].nunique()} strata too small for two groups pooled into one"
        if pooled
        else "",
    )
    return out["_s"].to_numpy(), out["_code"].to_numpy()


def replicate_rows(
    d: SurveyDesign,
    statistic: Callable[[pd.DataFrame, np.ndarray], np.ndarray],
    labels: list[tuple[str, str, np.ndarray]],
    *,
    level: float,
    method: str = "jkn",
    weight: str = "weight",
    proportion: bool = False,
    n_weight: np.ndarray | None = None,
    max_psus: int | None = None,
) -> pd.DataFrame:
    """Tidy rows for a vector statistic: estimate with full weights, SE from replicates.

    ``labels`` gives (domain, level, row mask) for each element of the statistic. The engine
    (:meth:`hhsurvey.engine.replicates.ReplicateDesign.estimate_statistic` with ``domains=``) gives
    the SE, the design df within each domain and the interval: estimate +- t(df) x SE, or for
    a ``proportion`` the logit interval, as for linear proportions, so that it stays inside
    [0, 1]. A JKn design with more than ``max_psus`` PSUs is replicated by groups of PSUs
    (:func:`jackknife_groups`), so that the cost stays linear in the sample.
    """
    data = d.data
    nw = data[weight].to_numpy(dtype="float64") if n_weight is None else n_weight
    rd = d
    if method == "jkn" and max_psus and d.psu is not None:
        groups = jackknife_groups(data, d.strata, d.psu, max_psus)
        if groups is not None:
            rd = SurveyDesign(
                data.assign(_jk_stratum=groups[0], _jk_group=groups[1]),
                weight=weight,
                strata="_jk_stratum",
                psu="_jk_group",
                lonely_psu=d.lonely_psu,
                missing=d.missing,
                domain_df=d.domain_df,
            )
    masks = [mask for _, _, mask in labels]
    res = rd.replicates(method=method).estimate_statistic(
        statistic,
        level=level,
        domains=np.stack(masks, axis=1),
        interval="logit" if proportion else "t",
    )
    return res.drop(columns=[N, N_WEIGHTED]).assign(
        domain=[dom for dom, _, _ in labels],
        level=[lev for _, lev, _ in labels],
        n_unweighted=[int(m.sum()) for m in masks],
        n_weighted=[float(nw[m].sum()) for m in masks],
    )[["domain", "level", *TABLE_COLUMNS]]


def _domains(
    frame: pd.DataFrame, by: tuple[str, ...], universe: np.ndarray
) -> list[tuple[str, str, np.ndarray]]:
    out = [("total", "total", universe)]
    for b in by:
        col = frame[b]
        levels = (
            col.cat.categories
            if isinstance(col.dtype, pd.CategoricalDtype)
            else sorted(col.dropna().unique())
        )
        for lev in levels:
            m = universe & (col == lev).to_numpy()
            if m.any():
                out.append((b, str(lev), m))
    return out


class _DomainShares:
    """Weighted share of a 0/1 flag in each domain of ``labels``: two products of the domains'
    0/1 matrix (sparse, one row per domain) with the weighted flags and the weights, which add
    each domain's rows in row order, as ``np.bincount`` does (same bits, a third less time)."""

    def __init__(self, labels: list[tuple[str, str, np.ndarray]]) -> None:
        rows = [np.flatnonzero(mask) for _, _, mask in labels]
        self.member = sparse.csr_array(
            (
                np.ones(sum(len(r) for r in rows)),
                np.concatenate(rows),
                np.cumsum([0] + [len(r) for r in rows]),
            ),
            shape=(len(labels), len(labels[0][2])),
        )

    def __call__(self, flag: np.ndarray, w: np.ndarray) -> np.ndarray:
        return (self.member @ (w * flag)) / (self.member @ w)


def household_pop_share(
    ind: Indicator,
    frames: dict[str, pd.DataFrame],
    design_args: dict[str, Any],
    *,
    level: float,
    context: dict,
    flags: Callable[[np.ndarray, np.ndarray], np.ndarray],
    proportion: bool = True,
) -> pd.DataFrame:
    """A population-weighted share of households flagged by ``flags(w, pop_w)``, overall and
    by the indicator's domains, with JKn SEs that recompute the flags on every replicate.

    The share is linear in the flags: ``flags`` returning the difference of two 0/1 flag
    vectors gives the difference of the two shares (``proportion=False``: t interval)."""
    frame = frames["household"]
    d = SurveyDesign(frame, weight="weight", **design_args)
    labels = _domains(frame, ind.by, np.ones(len(frame), dtype=bool))
    share = _DomainShares(labels)
    hhsize = frame["hhsize"].to_numpy()

    def stat(data: pd.DataFrame, w: np.ndarray) -> np.ndarray:
        pw = w * hhsize
        return share(flags(w, pw), pw)

    return replicate_rows(
        d,
        stat,
        labels,
        level=level,
        method=context["indicators"]["replicate_method"],
        max_psus=context["indicators"].get("jkn_max_psus", JKN_MAX_PSUS),
        proportion=proportion,
        n_weight=(frame["weight"] * frame["hhsize"]).to_numpy(dtype="float64"),
    )


# ---------------------------------------------------------------------------------------------
# Definitions registered for the catalogue


def ctp_flags(frame: pd.DataFrame, context: dict) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``flags(w, pop_w)``: capacity-to-pay catastrophe of each household of ``frame``."""
    cfg = context["indicators"]["ctp"]
    food, total = frame["food_ctp"].to_numpy(), frame["total"].to_numpy()
    ctp = CapacityToPay(
        food,
        total,
        frame["oop"].to_numpy(),
        frame["hhsize"].to_numpy(),
        beta=cfg["beta"],
        band=tuple(cfg["food_share_band"]),
        threshold=cfg["threshold"],
        order=np.argsort(food_share(food, total), kind="stable"),
    )

    def flags(w: np.ndarray, pw: np.ndarray) -> np.ndarray:
        return ctp(w)[0]

    return flags


@register("ctp_catastrophic")
def _ctp_indicator(ind, frames, design_args, *, level, context) -> pd.DataFrame:
    flags = composite_flags("ctp_catastrophic", frames["household"], context)
    return household_pop_share(ind, frames, design_args, level=level, context=context, flags=flags)


def revised_sdg_flags(
    frame: pd.DataFrame, context: dict
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``flags(w, pop_w)``: revised SDG 3.8.2 catastrophe of each household of ``frame``."""
    pl = context["poverty_lines"]
    pc_total = frame["pc_total"].to_numpy()
    sdg = RevisedSdg(
        pc_total,
        frame["total"].to_numpy(),
        frame["oop"].to_numpy(),
        frame["hhsize"].to_numpy(),
        lak_per_usd_ppp=pl["lak_per_usd_ppp_base"],
        ipl_usd=pl["international"]["usd_ppp_per_day"],
        threshold=context["indicators"]["revised_sdg"]["threshold"],
        order=np.argsort(pc_total, kind="stable"),
    )

    def flags(w: np.ndarray, pw: np.ndarray) -> np.ndarray:
        return sdg(pw)[0]

    return flags


@register("revised_sdg_catastrophic")
def _revised_sdg_indicator(ind, frames, design_args, *, level, context) -> pd.DataFrame:
    flags = composite_flags("revised_sdg_catastrophic", frames["household"], context)
    return household_pop_share(ind, frames, design_args, level=level, context=context, flags=flags)


#: Flag builders of the composite catastrophe indicators, by catalogue definition (scenarios).
COMPOSITE_FLAGS = {"ctp_catastrophic": ctp_flags, "revised_sdg_catastrophic": revised_sdg_flags}
#: The columns each flag builder reads (what identifies a frame for :func:`composite_flags`).
FLAG_COLUMNS = {
    "ctp_catastrophic": ("food_ctp", "total", "oop", "hhsize"),
    "revised_sdg_catastrophic": ("pc_total", "total", "oop", "hhsize"),
}


def _digest(*arrays: np.ndarray) -> bytes:
    # SHA-1 (hardware-accelerated, about twice blake2b's speed here); an accidental collision
    # of two weight vectors is as unlikely as with any 160-bit digest
    h = hashlib.sha1()
    for a in arrays:
        h.update(np.ascontiguousarray(a).view(np.uint8))
    return h.digest()


def _weights_key(cache: dict, w: np.ndarray) -> bytes:
    """The digest of ``w``, computed once when the same array object comes again (the paired
    change asks the actual and the scenario flags of one replicate's weights in turn)."""
    last = cache.get("_last_weights")
    if last is not None and last[0] is w:
        return last[1]
    key = _digest(np.asarray(w, dtype="float64"))
    cache["_last_weights"] = (w, key)
    return key


def composite_flags(
    of: str, frame: pd.DataFrame, context: dict
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``COMPOSITE_FLAGS[of](frame, context)``; when the context carries a ``flag_cache`` (a
    dict, the scenarios), the flags of each replicate's weights are remembered under the
    frame's columns and the weights' bytes, so that the actual frame's flags are computed once
    for the actual levels and for every package's paired change (the same numbers)."""
    flags = COMPOSITE_FLAGS[of](frame, context)
    cache = context.get("flag_cache")
    if cache is None:
        return flags
    cols = [frame[c].to_numpy(dtype="float64") for c in FLAG_COLUMNS[of]]
    memo = cache.setdefault((of, _digest(*cols)), {})

    def cached(w: np.ndarray, pw: np.ndarray) -> np.ndarray:
        key = _weights_key(cache, w)
        out = memo.get(key)
        if out is None:
            out = memo[key] = flags(w, pw)
        return out

    return cached


@register("concentration_index")
def _ci_indicator(ind, frames, design_args, *, level, context) -> pd.DataFrame:
    """Concentration index of ``params.variable`` by per-capita consumption (params.unit)."""
    unit = ind.unit_of_analysis
    frame = frames[unit]
    universe = (
        np.ones(len(frame), dtype=bool)
        if ind.universe in ("all", "", None)
        else evaluate(frame, ind.universe, "universe", ind.id).fillna(False).to_numpy(dtype=bool)
    )
    h_all = evaluate(frame, ind.params["variable"], "variable", ind.id).astype("float64").to_numpy()
    rank_by = frame["pc_total"].to_numpy(dtype="float64")
    pop = unit == "household_pop"
    d = SurveyDesign(frame, weight="weight", **design_args)
    size = frame["hhsize"].to_numpy(dtype="float64") if pop else np.ones(len(frame))

    conc = RankedConcentration(h_all, rank_by, keep=universe)

    def stat(data: pd.DataFrame, w: np.ndarray) -> np.ndarray:
        return np.array([conc(w * size * universe)])

    return replicate_rows(
        d,
        stat,
        [("total", "total", universe)],
        level=level,
        method=context["indicators"]["replicate_method"],
        max_psus=context["indicators"].get("jkn_max_psus", JKN_MAX_PSUS),
        n_weight=frame["weight"].to_numpy(dtype="float64") * size,
    )


@register("kakwani")
def _kakwani_indicator(ind, frames, design_args, *, level, context) -> pd.DataFrame:
    """Kakwani index of OOP: concentration of OOP per capita minus Gini of consumption per capita."""
    frame = frames["household"]
    d = SurveyDesign(frame, weight="weight", **design_args)
    size = frame["hhsize"].to_numpy(dtype="float64")
    x = frame["pc_total"].to_numpy(dtype="float64")
    oop_pc = (frame["oop"] / frame["hhsize"]).to_numpy(dtype="float64")

    conc_oop, gini = RankedConcentration(oop_pc, x), RankedConcentration(x, x)

    def stat(data: pd.DataFrame, w: np.ndarray) -> np.ndarray:
        pw = w * size
        return np.array([conc_oop(pw) - gini(pw)])

    return replicate_rows(
        d,
        stat,
        [("total", "total", np.ones(len(frame), dtype=bool))],
        level=level,
        method=context["indicators"]["replicate_method"],
        max_psus=context["indicators"].get("jkn_max_psus", JKN_MAX_PSUS),
        n_weight=frame["weight"].to_numpy(dtype="float64") * size,
    )


@register("che_curve")
def _che_curve(ind, frames, design_args, *, level, context) -> pd.DataFrame:
    """Catastrophic headcount H(z) over a grid of thresholds (population-weighted, linear)."""
    cfg = context["indicators"]
    frame = frames["household_pop"]
    grid = np.round(np.arange(0.0, cfg["che_curve_max"] + 1e-9, cfg["che_curve_step"]), 4)
    rows = []
    for z in grid:
        data = frame.assign(_y=(frame["budget_share"] > z).astype("float64"))
        res = SurveyDesign(data, weight="pop_weight", **design_args).proportion("_y", level=level)
        rows.append(res.assign(domain="threshold", level=f"{z:.2f}"))
    return pd.concat(rows, ignore_index=True).rename(columns={N: N_UNWEIGHTED})
