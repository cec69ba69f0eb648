"""The domain of one estimator call: analysis values, ``where=`` and ``by=`` as zero-weighting.

Every estimator (Taylor, quantiles, regression, replicates) turns its arguments into a
:class:`hhsurvey.engine.kernels.Domain` here: the analysis columns as floats
(:func:`numeric`), the rows outside the domain (missing values, ``where=``, missing ``by``
levels) weighted 0 instead of dropped, so that every PSU stays in the variance, and the ``by``
levels coded once per design (:func:`by_codes`, cached on the design). :func:`domain_stats`
gives the per-domain counts, weight totals, df and stratum presence, cached when the call has
no ``where=`` and no missing value; the df follows the design's ``domain_df`` rule
(:mod:`hhsurvey.engine.conventions`): the domain's own, or the design's for every domain.

The functions receive the design (:class:`hhsurvey.engine.kernels.TaylorDesign`) and read its
data, structure and caches; they never change the design but fill its caches.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hhsurvey.engine.kernels import (
    By,
    Domain,
    DomainStats,
    TaylorDesign,
    Where,
    bin_sum,
    design_df,
    psu_domain_totals,
)
from hhsurvey.engine.structure import Structure, factorize, factorize_counted

__all__ = [
    "by_codes",
    "domain",
    "domain_stats",
    "domain_sum",
    "fast_path",
    "numeric",
    "psu_key",
]


def _as_list(by: By) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


# ----------------------------------------------------------------------------- inputs
def numeric(d: TaylorDesign, col: str) -> np.ndarray:
    """Analysis column as float64 (NaN = missing); ValueError if not numeric."""
    if col not in d.data.columns:
        raise ValueError(f"column {col!r} not in data")
    s = d.data[col]
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        return s.to_numpy(dtype=np.float64, na_value=np.nan)
    raise ValueError(f"column {col!r} must be numeric or boolean, has dtype {s.dtype}")


def _where_mask(d: TaylorDesign, where: Where) -> np.ndarray:
    """Boolean subpopulation mask; missing counts as outside (as R subset())."""
    if isinstance(where, str):
        if where not in d.data.columns:
            raise ValueError(f"where column {where!r} not in data")
        m = d.data[where]
    elif isinstance(where, pd.Series):
        if not where.index.equals(d.data.index):
            raise ValueError("where Series must have the same index as the design data")
        m = where
    else:
        m = pd.Series(np.asarray(where))
        if len(m) != d._s.n:
            raise ValueError(f"where has length {len(m)}, data has {d._s.n} rows")
    if not (pd.api.types.is_bool_dtype(m.dtype) or pd.api.types.is_numeric_dtype(m.dtype)):
        raise ValueError(f"where must be boolean or 0/1, has dtype {m.dtype}")
    arr = m.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = arr[~np.isnan(arr) & (arr != 0) & (arr != 1)]
    if len(bad):
        raise ValueError(f"where must be boolean or 0/1; found {np.unique(bad)[:5].tolist()}")
    return arr == 1.0


def by_codes(
    d: TaylorDesign, by: list[str]
) -> tuple[np.ndarray, pd.DataFrame, np.ndarray | None, np.ndarray | None]:
    """Domain codes (sorted levels present in data), labels, missing-level mask, and the
    rows per level (non-missing rows; None when not counted)."""
    key = tuple(by)
    hit = d._by_cache.get(key)
    if hit is not None:
        return hit
    missing = [c for c in by if c not in d.data.columns]
    if missing:
        raise ValueError(f"by columns not in data: {missing}")
    if len(by) == 1:
        codes, levels, counts = factorize_counted(d.data[by[0]])
        miss = codes < 0
        anymiss = bool(miss.any())
        codes = np.where(miss, 0, codes) if anymiss else codes
        codes = np.ascontiguousarray(codes, dtype=np.int64)
        codes.flags.writeable = False
        labels1 = pd.DataFrame({by[0]: pd.Series(levels).reset_index(drop=True)})
        out1 = (codes, labels1, miss if anymiss else None, counts)
        d._by_cache[key] = out1
        return out1
    out = _crossed_codes(d.data, d._s.n, by)
    d._by_cache[key] = out
    return out


def _crossed_codes(
    data: pd.DataFrame, n: int, by: list[str]
) -> tuple[np.ndarray, pd.DataFrame, np.ndarray | None, np.ndarray | None]:
    """:func:`by_codes` of several columns: the level combinations present in the data."""
    codes_list, levels_list = zip(*(factorize(data[c]) for c in by), strict=True)
    sizes = [len(lv) for lv in levels_list]
    combined = np.zeros(n, dtype=np.int64)
    bad = np.zeros(n, dtype=bool)
    for c, size in zip(codes_list, sizes, strict=True):
        bad |= c < 0
        combined = combined * size + np.maximum(c, 0)
    span = math.prod(sizes) if sizes else 1
    counts = None
    if span <= 50_000_000:
        cnt = np.bincount(combined[~bad] if bad.any() else combined, minlength=span)
        present = cnt > 0
        combos = np.flatnonzero(present)
        counts = cnt[combos]
        remap = np.cumsum(present) - 1
        codes = remap[combined] if len(combos) < span else combined
    else:
        combos, codes = np.unique(combined[~bad], return_inverse=True)
        full = np.zeros(n, dtype=np.int64)
        full[~bad] = codes
        codes = full
    labels = {}
    rest = combos.copy()
    for col, lv, size in reversed(list(zip(by, levels_list, sizes, strict=True))):
        labels[col] = lv.take(rest % size) if size else lv
        rest //= max(size, 1)
    labels_df = pd.DataFrame({c: pd.Series(labels[c]).reset_index(drop=True) for c in by})
    codes = np.ascontiguousarray(codes, dtype=np.int64)
    codes.flags.writeable = False
    return codes, labels_df, bad if bad.any() else None, counts


def domain(d: TaylorDesign, by: By, where: Where, values: list[np.ndarray]) -> Domain:
    """Zero-weighting for a call: missing values, where= and by= combined."""
    s = d._s
    active: np.ndarray | None = None
    for v in values:
        nan = np.isnan(v)
        if nan.any():
            active = ~nan if active is None else active & ~nan
    by_list = _as_list(by)
    cacheable = active is None and where is None
    if where is not None:
        wm = _where_mask(d, where)
        active = wm if active is None else active & wm
    if by_list:
        codes, labels, bymiss, counts = by_codes(d, by_list)
        if bymiss is not None:
            active = ~bymiss if active is None else active & ~bymiss
        k = len(labels)
    else:
        codes, labels, k, counts = None, None, 1, None
    we = s.w if active is None else np.where(active, s.w, 0.0)
    return Domain(k, codes, labels, active, we, tuple(by_list) if cacheable else None, counts)


# ----------------------------------------------------------------------------- sums
def fast_path(d: TaylorDesign) -> bool:
    """PSU-total fast path: clustered, not calibrated."""
    return not d._s.element and not d._cal


def psu_key(s: Structure, dom: Domain) -> np.ndarray | None:
    """PSU x domain key for the PSU-by-domain totals (None: not needed, see below)."""
    if dom.codes is None:
        return s.psu
    if s.psu_starts is not None:  # PSU-ordered rows: totals from the PSU runs, no key
        return None
    return s.psu * dom.k + dom.codes


def domain_sum(dom: Domain, values: np.ndarray) -> np.ndarray:
    """(k,) domain totals of row values."""
    if dom.codes is None:
        return np.array([values.sum()])
    return bin_sum(dom.codes, values, dom.k)


def domain_stats(d: TaylorDesign, dom: Domain) -> tuple[DomainStats, np.ndarray | None]:
    """Counts, weight totals, df and stratum presence per domain (cached when possible), and
    the PSU x domain key when it was built."""
    if dom.cache_key is not None and dom.cache_key in d._stats_cache:
        return d._stats_cache[dom.cache_key]
    s = d._s
    if dom.active is None:
        pos = None if s.all_pos else s.w > 0
    else:
        pos = dom.active if s.all_pos else dom.active & (s.w > 0)
    if s.element:
        hk = s.stratum if dom.codes is None else s.stratum * dom.k + dom.codes
        if pos is None:
            cnt = np.bincount(hk, minlength=s.H * dom.k).reshape(s.H, dom.k)
        else:
            cnt = np.bincount(hk[pos], minlength=s.H * dom.k).reshape(s.H, dom.k)
        n = cnt.sum(axis=0)
        present = cnt > 0
        df = n - present.sum(axis=0)
        nw = domain_sum(dom, dom.we)
        Tw, key = None, None
    else:
        key = psu_key(s, dom) if dom.codes is not None else None
        Tw = psu_domain_totals(s, dom.codes, dom.k, dom.we, key)
        if dom.codes is None:
            n = np.array([s.n if pos is None else np.count_nonzero(pos)])
        elif pos is None and dom.level_counts is not None:
            n = dom.level_counts  # rows per level, counted when the by column was coded
        else:
            n = np.bincount(dom.codes if pos is None else dom.codes[pos], minlength=dom.k)
        # a PSU has a positive-weight domain row iff its domain weight total is > 0
        hasrow = Tw > 0
        present = np.add.reduceat(hasrow, s.stratum_starts, axis=0) > 0
        df = hasrow.sum(axis=0) - present.sum(axis=0)
        nw = Tw.sum(axis=0)
    if d.domain_df == "design":  # the Stata convention: the design df for every domain
        df = np.where(n > 0, design_df(d), 0.0)
    st = DomainStats(Tw, n.astype(np.int64), nw, df.astype(np.float64), present)
    out = (st, key)
    if dom.cache_key is not None:
        d._stats_cache[dom.cache_key] = out
    return out
