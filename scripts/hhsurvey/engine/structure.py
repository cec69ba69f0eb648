"""The arrays of a survey design, built once per design, and the lonely-PSU rule.

:class:`hhsurvey.engine.design.SurveyDesign` checks its arguments and columns here and keeps the
result: a read-only :class:`Structure` (weights, stratum and PSU codes, PSUs per stratum, the
stage-1 fpc factors, the singleton strata) that every estimate reads. The module also holds

* the coding of a column into its sorted levels (:func:`factorize`,
  :func:`factorize_counted`), shared by the domains of estimator calls
  (:mod:`hhsurvey.engine.domains`) and the model matrix of regressions
  (:mod:`hhsurvey.engine.glm`);
* the lonely-PSU rules (:data:`LONELY_PSU_RULES`) and the error of the ``"fail"`` rule
  (:func:`check_lonely`), an :class:`hhsurvey.errors.InputError` whichever variance method
  (Taylor or replicates) meets the singleton stratum; the ``"collapse"`` rule merges each
  single-PSU stratum with its neighbour when the design is built (:func:`collapse_plan`), and
  logs each merge;
* the per-stratum summary of a design (:func:`describe`).

It is the bottom of the engine: it imports only :mod:`hhsurvey.errors`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hhsurvey.errors import InputError

__all__ = [
    "LONELY_PSU_RULES",
    "SELF_REPRESENTING",
    "Structure",
    "build_design",
    "build_structure",
    "check_lonely",
    "collapse_plan",
    "describe",
    "factorize",
    "factorize_counted",
    "replace_weights",
    "subset_structure",
]

log = logging.getLogger(__name__)

#: Rules for strata with a single PSU: R's ``options(survey.lonely.psu=)``, and ``"collapse"``
#: (each single-PSU stratum merged with its neighbour, :func:`collapse_plan`).
LONELY_PSU_RULES: tuple[str, ...] = ("fail", "remove", "certainty", "adjust", "collapse")
#: A stratum whose fpc factor (N_h - n_h) / N_h is below this is self-representing (R's rule).
SELF_REPRESENTING = 1e-7


@dataclass(frozen=True, eq=False)
class Structure:
    """Design arrays computed once at construction (read-only)."""

    n: int
    w: np.ndarray  # (n,) weights
    stratum: np.ndarray  # (n,) stratum codes 0..H-1
    strata_labels: pd.Index
    element: bool  # no PSU column: each row is a PSU
    psu: np.ndarray  # (n,) PSU codes 0..G-1, PSUs numbered in stratum order (rows for element)
    psu_starts: np.ndarray | None  # run starts of psu when rows are stored in PSU order
    G: int
    H: int
    psu_stratum: np.ndarray  # (G,) stratum of each PSU (non-decreasing)
    stratum_starts: np.ndarray  # (H,) first PSU of each stratum in PSU numbering
    n_psu: np.ndarray  # (H,) PSUs per stratum (design count)
    fpc_pop: np.ndarray  # (H,) stage-1 population size (inf when no fpc)
    cfac: np.ndarray  # (H,) (1-f) n/(n-1) for n>1, 0 for self-representing or n==1
    one_minus_f: np.ndarray  # (H,)
    lonely: np.ndarray  # (H,) bool: one PSU and not self-representing
    elem_order: np.ndarray | None  # rows sorted by stratum (element designs)
    all_pos: bool  # every weight > 0
    collapsed: tuple[tuple[str, tuple[str, ...]], ...] = ()  # lonely_psu="collapse": merges


# ----------------------------------------------------------------------------- lonely PSUs
def check_lonely(s: Structure, present: np.ndarray, rule: str) -> None:
    """Under ``rule == "fail"``, InputError naming the singleton strata an estimate uses.

    ``present``: (H, p), the stratum holds a positive-weight row of the domain of each of the p
    estimates; a singleton stratum outside every domain is not used (R's default
    ``survey.adjust.domain.lonely=FALSE``).
    """
    if rule not in ("fail", "collapse") or not s.lonely.any():
        return
    used = s.lonely[:, None] & present
    if used.any():
        bad = s.strata_labels[np.flatnonzero(used.any(axis=1))].tolist()
        if rule == "collapse":
            raise InputError(
                f"Stratum {bad} has only one PSU and no other stratum to collapse it with",
                "the strata and PSU columns of the survey design (a single sampled PSU in all "
                "the strata that are not self-representing)",
                "use lonely_psu='remove', 'certainty' or 'adjust', or add the strata of the design",
            )
        raise InputError(
            f"Stratum {bad} has only one PSU, and the design's rule for lonely PSUs is "
            "lonely_psu='fail'",
            "the strata and PSU columns of the survey design (one PSU sampled in the stratum)",
            "use lonely_psu='remove', 'certainty' or 'adjust' (config: design.lonely_psu), "
            "or 'collapse' to merge the stratum with its neighbour",
        )


# ----------------------------------------------------------------------------- factor codes
def factorize(col: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes (-1 = missing) and sorted levels present in the column."""
    codes, levels, _ = factorize_counted(col)
    return codes, levels


def factorize_counted(col: pd.Series) -> tuple[np.ndarray, pd.Index, np.ndarray | None]:
    """:func:`factorize` plus the rows per level when they come for free (else None)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = col.cat.categories
        raw = col.cat.codes.to_numpy().astype(np.int64)
        cnt = np.bincount(raw[raw >= 0], minlength=len(cats))
        present = cnt > 0
        order = np.arange(len(cats)) if col.cat.ordered else np.asarray(cats.argsort())
        order = order[present[order]]
        remap = np.full(len(cats), -1, dtype=np.int64)
        remap[order] = np.arange(len(order))
        codes = np.where(raw >= 0, remap[np.maximum(raw, 0)], -1)
        return codes, cats.take(order), cnt[order]
    # a string column never takes the integer path: converting it to a NumPy array would make
    # one Python object per row (most of the cost of coding a large PSU or stratum column)
    arr = None if pd.api.types.is_string_dtype(col.dtype) else col.to_numpy()
    if arr is not None and arr.dtype.kind in "iu" and len(arr):
        lo, hi = int(arr.min()), int(arr.max())
        if hi - lo <= 10 * len(arr) + 1_000_000:
            c = arr - lo if arr.dtype == np.int64 else arr.astype(np.int64) - lo
            cnt = np.bincount(c, minlength=hi - lo + 1)
            present = cnt > 0
            if present.all():
                return c, pd.Index(np.arange(lo, hi + 1).astype(arr.dtype)), cnt
            levels = np.flatnonzero(present) + lo
            codes = (np.cumsum(present) - 1)[c]
            return codes, pd.Index(levels.astype(arr.dtype)), cnt[present]
    if arr is None:
        return _factorize_strings(col)
    codes, uniques = pd.factorize(col, sort=True, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques), None


#: The codes of the last string columns coded, by their Arrow data (immutable; kept alive
#: here, so that its ``id`` cannot be reused): every estimate on a frame builds its design on
#: the same stratum and PSU columns, which pandas passes on uncopied to the frames derived by
#: ``assign`` (0.05 s per column of 1.5 million rows, dozens of designs per rule).
_STRING_CODES: dict[tuple[int, object], tuple[object, tuple[np.ndarray, pd.Index, None]]] = {}
_STRING_CODES_KEPT = 6


def _factorize_strings(col: pd.Series) -> tuple[np.ndarray, pd.Index, None]:
    # pandas' Arrow-backed arrays hand out their own (immutable) data; others would convert
    data = (
        col.array.__arrow_array__()
        if isinstance(col.array, pd.arrays.ArrowExtensionArray)
        else None
    )
    # keyed by the dtype too: the same Arrow data can back two dtypes (pandas' str and
    # ArrowDtype), and the levels keep their column's
    key = (id(data), col.dtype)
    hit = _STRING_CODES.get(key) if data is not None else None
    if hit is not None and hit[0] is data:
        codes, levels, counts = hit[1]
        return codes.copy(), levels, counts
    codes, uniques = pd.factorize(col, sort=True, use_na_sentinel=True)
    out = (np.asarray(codes, dtype=np.int64), pd.Index(uniques), None)
    if data is not None:
        while len(_STRING_CODES) >= _STRING_CODES_KEPT:
            del _STRING_CODES[next(iter(_STRING_CODES))]
        _STRING_CODES[key] = (data, (out[0].copy(), out[1], None))
    return out


# ----------------------------------------------------------------------------- construction
def build_design(
    data: pd.DataFrame,
    weight: str,
    strata: str | None,
    psu: str | None,
    fpc: str | None,
    lonely_psu: str,
) -> tuple[pd.DataFrame, Structure]:
    """Check the arguments of a design; the frozen data and its :class:`Structure`."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if lonely_psu not in LONELY_PSU_RULES:
        raise ValueError(f"lonely_psu must be one of {LONELY_PSU_RULES}, got {lonely_psu!r}")
    missing = [c for c in (weight, strata, psu, fpc) if c is not None and c not in data.columns]
    if missing:
        raise ValueError(f"design columns not in data: {missing}")
    frozen = data.copy(deep=False)  # copy-on-write: later edits of `data` do not leak in
    return frozen, build_structure(frozen, weight, strata, psu, fpc, lonely_psu)


def _weights(data: pd.DataFrame, weight: str) -> np.ndarray:
    """The weight column as float64: numeric, finite, >= 0, no missing value."""
    wcol = data[weight]
    if pd.api.types.is_bool_dtype(wcol.dtype) or not pd.api.types.is_numeric_dtype(wcol.dtype):
        raise ValueError(f"weight column {weight!r} must be numeric, has dtype {wcol.dtype}")
    w = wcol.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.flatnonzero(np.isnan(w))
    if len(bad):
        raise ValueError(
            f"weight column {weight!r} has {len(bad)} missing value(s), e.g. rows {data.index[bad[:5]].tolist()}"
        )
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if len(bad):
        raise ValueError(
            f"weight column {weight!r} has {len(bad)} negative or infinite value(s): {w[bad[:5]].tolist()} "
            f"at rows {data.index[bad[:5]].tolist()}"
        )
    return w


def _strata(data: pd.DataFrame, strata: str | None) -> tuple[np.ndarray, pd.Index]:
    """Stratum codes and labels (one stratum, labelled 1, when ``strata`` is None)."""
    if strata is not None:
        if data[strata].isna().any():
            rows = data.index[data[strata].isna().to_numpy()][:5].tolist()
            raise ValueError(f"strata column {strata!r} has missing values, e.g. rows {rows}")
        return factorize(data[strata])
    return np.zeros(len(data), dtype=np.int64), pd.Index([1])


def _psus(
    data: pd.DataFrame, psu: str | None, hcodes: np.ndarray, H: int
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray | None]:
    """PSU codes numbered in (stratum, psu) order, the stratum of each PSU, the number of PSUs,
    and the rows in stratum order (element sampling: each row is a PSU; else None)."""
    n = len(data)
    if psu is None:
        order = np.argsort(hcodes, kind="stable")
        psu_codes = np.empty(n, dtype=np.int64)
        psu_codes[order] = np.arange(n)
        return psu_codes, hcodes[order], n, order
    if data[psu].isna().any():
        rows = data.index[data[psu].isna().to_numpy()][:5].tolist()
        raise ValueError(f"psu column {psu!r} has missing values, e.g. rows {rows}")
    pcodes, plabels = factorize(data[psu])
    pair = hcodes * len(plabels) + pcodes  # PSUs nested in strata
    span = H * len(plabels)
    if span <= 4 * n:  # O(n) numbering; PSUs numbered in (stratum, psu) order
        seen = np.bincount(pair, minlength=span) > 0
        uniq = np.flatnonzero(seen)
        psu_codes = (np.cumsum(seen) - 1)[pair]
    else:  # many strata (certainty villages as strata): hash, then order the few PSUs
        inv, uniq = pd.factorize(pair, sort=True)  # sorted => grouped by stratum
        psu_codes = inv.astype(np.int64)
    psu_stratum = (uniq // len(plabels)).astype(np.int64)
    return psu_codes, psu_stratum, len(uniq), None


def _population(
    data: pd.DataFrame,
    fpc: str | None,
    hcodes: np.ndarray,
    hlabels: pd.Index,
    n_psu: np.ndarray,
) -> np.ndarray:
    """Stage-1 population size per stratum (inf without ``fpc``), checked against the sample."""
    H = len(hlabels)
    pop = np.full(H, np.inf)
    if fpc is None:
        return pop
    fcol = data[fpc]
    if not pd.api.types.is_numeric_dtype(fcol.dtype) or fcol.isna().any():
        raise ValueError(f"fpc column {fpc!r} must be numeric without missing values")
    f = fcol.to_numpy(dtype=np.float64)
    fs = f[np.argsort(hcodes, kind="stable")]
    rstart = np.concatenate([[0], np.cumsum(np.bincount(hcodes, minlength=H))[:-1]])
    lo, hi = np.minimum.reduceat(fs, rstart), np.maximum.reduceat(fs, rstart)
    varying = np.flatnonzero(lo != hi)
    if len(varying):
        raise ValueError(f"fpc column {fpc!r} varies within strata {hlabels[varying[:5]].tolist()}")
    is_pop = np.any(f > 1)
    if is_pop and np.any(f < 1):
        raise ValueError(
            f"fpc column {fpc!r} must be all population sizes (>= 1) or all fractions (<= 1)"
        )
    if np.any(f <= 0):
        raise ValueError(f"fpc column {fpc!r} has non-positive values")
    pop = lo if is_pop else n_psu / lo
    over = np.flatnonzero(pop < n_psu - 1e-9)
    if len(over):
        raise ValueError(
            f"fpc implies more than 100% sampling in strata {hlabels[over[:5]].tolist()}: "
            f"population {pop[over[:5]].tolist()} < sampled PSUs {n_psu[over[:5]].tolist()}"
        )
    return pop


def collapse_plan(n_psu: np.ndarray, selfrep: np.ndarray) -> np.ndarray | None:
    """Stratum groups of the ``"collapse"`` rule: the group code of each stratum, or None.

    Strata are taken in the order of their labels (the sorted levels of the strata column);
    self-representing strata stay alone. A single-PSU stratum is merged with the next stratum
    in that order, and the last one, when it is single, with the group before it. A merged
    pair holds two PSUs or more, so the next stratum starts a group of its own; two single
    strata in a row make one group of two PSUs (collapsed strata). None when no stratum is
    single.
    """
    lonely = (n_psu == 1) & ~selfrep
    if not lonely.any():
        return None
    H = len(n_psu)
    groups: list[list[int]] = []
    cur: list[int] = []
    psus = 0.0
    for h in np.flatnonzero(~selfrep):
        if cur and psus > 1:
            groups.append(cur)
            cur, psus = [], 0.0
        cur.append(int(h))
        psus += n_psu[h]
    if cur:
        if psus == 1 and groups:
            groups[-1].extend(cur)
        else:
            groups.append(cur)
    groups.extend([int(h)] for h in np.flatnonzero(selfrep))
    groups.sort(key=lambda g: g[0])
    code = np.empty(H, dtype=np.int64)
    for j, g in enumerate(groups):
        code[g] = j
    return code


def _apply_collapse(
    code: np.ndarray,
    hcodes: np.ndarray,
    hlabels: pd.Index,
    psu_codes: np.ndarray,
    psu_stratum: np.ndarray,
    elem_order: np.ndarray | None,
    arrays: tuple[np.ndarray, np.ndarray],
) -> tuple:
    """Merge strata by group ``code``: new stratum codes and labels, PSUs renumbered in the
    order of the merged strata, PSUs and population sizes summed; the merges, logged."""
    n_psu, pop = arrays
    H = int(code.max()) + 1
    members: list[list[str]] = [[] for _ in range(H)]
    for h, g in enumerate(code):
        members[g].append(str(hlabels[h]))
    labels = pd.Index(["+".join(m) for m in members], dtype=object)
    merged = tuple((labels[g], tuple(m)) for g, m in enumerate(members) if len(m) > 1)
    for group, parts in merged:
        log.info(
            "lonely_psu='collapse': strata %s (one of them with a single PSU) are collapsed "
            "into stratum %r for the variance",
            list(parts),
            group,
        )
    new_stratum = code[psu_stratum]
    order = np.argsort(new_stratum, kind="stable")
    renumber = np.empty(len(order), dtype=np.int64)
    renumber[order] = np.arange(len(order))
    n_new = np.bincount(code, weights=n_psu, minlength=H)
    pop_new = np.bincount(code, weights=np.where(np.isinf(pop), 0.0, pop), minlength=H)
    pop_new[np.bincount(code, weights=np.isinf(pop), minlength=H) > 0] = np.inf
    return (
        code[hcodes],
        labels,
        renumber[psu_codes],
        new_stratum[order],
        None if elem_order is None else elem_order[order],
        n_new,
        pop_new,
        merged,
    )


def build_structure(
    data: pd.DataFrame,
    weight: str,
    strata: str | None,
    psu: str | None,
    fpc: str | None,
    lonely_psu: str = "fail",
) -> Structure:
    """Validate the design columns and compute the arrays used by every estimate."""
    n = len(data)
    if n == 0:
        raise ValueError("data has no rows")
    w = _weights(data, weight)
    hcodes, hlabels = _strata(data, strata)
    H = len(hlabels)
    element = psu is None
    psu_codes, psu_stratum, G, elem_order = _psus(data, psu, hcodes, H)
    n_psu = np.bincount(psu_stratum, minlength=H).astype(np.float64)
    pop = _population(data, fpc, hcodes, hlabels, n_psu)
    merged: tuple = ()
    if lonely_psu == "collapse":
        code = collapse_plan(n_psu, _one_minus_f(pop, n_psu) < SELF_REPRESENTING)
        if code is not None:
            hcodes, hlabels, psu_codes, psu_stratum, elem_order, n_psu, pop, merged = (
                _apply_collapse(
                    code, hcodes, hlabels, psu_codes, psu_stratum, elem_order, (n_psu, pop)
                )
            )
            H = len(hlabels)
    return _assemble(
        w, hcodes, hlabels, element, psu_codes, psu_stratum, elem_order, n_psu, pop, merged
    )


def _assemble(
    w: np.ndarray,
    hcodes: np.ndarray,
    hlabels: pd.Index,
    element: bool,
    psu_codes: np.ndarray,
    psu_stratum: np.ndarray,
    elem_order: np.ndarray | None,
    n_psu: np.ndarray,
    pop: np.ndarray,
    merged: tuple,
) -> Structure:
    """The read-only :class:`Structure` from its codes, PSU counts and population sizes."""
    n, H, G = len(w), len(hlabels), len(psu_stratum)
    stratum_starts = np.concatenate([[0], np.cumsum(n_psu)[:-1]]).astype(np.int64)
    starts = None
    if not element and n > 1 and bool(np.all(psu_codes[1:] >= psu_codes[:-1])):
        starts = np.concatenate([[0], np.flatnonzero(np.diff(psu_codes)) + 1])
    one_minus_f = _one_minus_f(pop, n_psu)
    selfrep = one_minus_f < SELF_REPRESENTING
    with np.errstate(divide="ignore", invalid="ignore"):
        cfac = np.where((n_psu > 1) & ~selfrep, one_minus_f * n_psu / (n_psu - 1), 0.0)
    lonely = (n_psu == 1) & ~selfrep
    arrays = [
        w,
        hcodes,
        psu_codes,
        psu_stratum,
        n_psu,
        stratum_starts,
        pop,
        cfac,
        one_minus_f,
        lonely,
    ]
    for a in arrays:
        a.flags.writeable = False
    return Structure(
        n=n,
        w=w,
        stratum=hcodes,
        strata_labels=hlabels,
        element=element,
        psu=psu_codes,
        psu_starts=starts,
        G=G,
        H=H,
        psu_stratum=psu_stratum,
        stratum_starts=stratum_starts,
        n_psu=n_psu,
        fpc_pop=pop,
        cfac=cfac,
        one_minus_f=one_minus_f,
        lonely=lonely,
        elem_order=elem_order,
        all_pos=bool(np.all(w > 0)),
        collapsed=merged,
    )


def subset_structure(s: Structure, keep: np.ndarray) -> Structure:
    """The structure of a design's rows ``keep`` alone (the others dropped from the design).

    What :func:`build_structure` gives on those rows, without coding the columns again: the
    strata and PSUs left without a row are gone, the others keep their order, labels and
    population sizes; n_h counts the PSUs left. (Not for ``lonely_psu="collapse"``, whose
    merges depend on the PSUs left: rebuild the design there.)
    """
    rows = np.flatnonzero(keep)
    if len(rows) == 0:
        raise ValueError("data has no rows")
    pcodes = s.psu[rows]
    psu_left = np.bincount(pcodes, minlength=s.G) > 0
    old_stratum = s.psu_stratum[psu_left]
    h_left = np.bincount(old_stratum, minlength=s.H) > 0
    h_map = np.cumsum(h_left) - 1
    psu_codes = (np.cumsum(psu_left) - 1)[pcodes]
    psu_stratum = h_map[old_stratum]
    elem_order = None
    if s.element:  # each row is a PSU, numbered in stratum order: invert the numbering
        elem_order = np.empty(len(rows), dtype=np.int64)
        elem_order[psu_codes] = np.arange(len(rows))
    n_psu = np.bincount(psu_stratum, minlength=int(h_left.sum())).astype(np.float64)
    return _assemble(
        s.w[rows],
        h_map[s.stratum[rows]],
        s.strata_labels[h_left],
        s.element,
        psu_codes,
        psu_stratum,
        elem_order,
        n_psu,
        s.fpc_pop[h_left].copy(),
        (),
    )


def _one_minus_f(pop: np.ndarray, n_psu: np.ndarray) -> np.ndarray:
    """1 - n_h / N_h per stratum (1 without a population size)."""
    return np.where(np.isinf(pop), 1.0, (pop - n_psu) / np.where(np.isinf(pop), 1.0, pop))


def replace_weights(s: Structure, w: np.ndarray) -> Structure:
    """The same design arrays with new weights (calibration)."""
    fields = {f: getattr(s, f) for f in s.__dataclass_fields__}
    fields["w"] = w
    fields["all_pos"] = bool(np.all(w > 0))
    return Structure(**fields)


def describe(s: Structure) -> pd.DataFrame:
    """One row per stratum: PSUs, rows, weight total, population size, singleton flag."""
    rows = np.bincount(s.stratum, minlength=s.H)
    wsum = np.bincount(s.stratum, weights=s.w, minlength=s.H)
    out = pd.DataFrame(
        {
            "stratum": s.strata_labels,
            "n_psu": s.n_psu.astype(np.int64),
            "n": rows.astype(np.int64),
            "weight_total": wsum,
            "population_size": s.fpc_pop.astype(np.float64),
            "singleton": s.lonely.copy(),
        }
    )
    out["population_size"] = out["population_size"].where(np.isfinite(out["population_size"]))
    return out
