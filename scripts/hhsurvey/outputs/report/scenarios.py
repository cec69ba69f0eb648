"""Context of the report section "What if the NHI paid for…" (template ``_scenarios.html.j2``).

:func:`report_context` turns ``scenarios.csv`` into plain values (strings, numbers, lists of
dicts) for the partial; every word of the section lives in the template. Wiring, in the report
builder: ``context["scenarios"] = report_context(pd.read_csv(path), config)`` and, in the page
template, ``{% include "_scenarios.html.j2" %}``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from hhsurvey.catalogue.model import load_catalogue
from hhsurvey.catalogue.scenarios import (
    ACTUAL,
    COST_PER_CAPITA,
    COST_PER_COVERED,
    COST_TOTAL,
    INCIDENCE,
    labels,
    load_packages,
)
from hhsurvey.outputs.i18n import LocaleFormat

# The indicator the figure plots (SDG 3.8.2 at 10 %), when the scenarios compute it.
FIGURE_INDICATOR = "che_sdg_10"
# Words of the figure (the figure is drawn here, so its few words are kept together here).
FIGURE_TEXT = {
    "title": "Fall in catastrophic spending against the cost to the fund",
    "xlabel": "Cost to the fund per person (LAK a year)",
    "ylabel": "Fall in the share above 10 % (points)",
    "empty": "No scenario to show",
    "alt": (
        "One point per benefit package: horizontally the cost to the fund per person and year, "
        "vertically the fall in the share of the population spending more than 10 % of its "
        "consumption out of pocket on health, each with its confidence interval."
    ),
}


def _finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _pct(x: Any, points: bool = False, extra: int = 0) -> str:
    if not _finite(x):
        return ""
    v = float(x) * 100.0
    return f"{v:+.{1 + extra}f}" if points else f"{v:.{1 + extra}f}"


def _lak(x: Any, scale: float = 1.0, extra: int = 0) -> str:
    return f"{float(x) / scale:,.{extra}f}" if _finite(x) else ""


def _cell(r: pd.Series | None, fmt, **kw) -> dict[str, str]:
    """Estimate and CI as text; suppressed estimates as *, caution in parentheses; a
    structural zero reads "not applicable", an estimate whose SE is 0 "not estimable" in place
    of its interval; bounds that would print alike get more decimals (never a zero-width
    interval)."""
    if r is None:
        return {"estimate": "", "ci": "", "flag": "missing"}
    flag = "" if pd.isna(r.get("flag")) else str(r.get("flag"))
    if flag == "suppressed":
        return {"estimate": "*", "ci": "", "flag": flag}
    if flag == "not applicable":
        return {"estimate": "not applicable", "ci": "", "flag": flag}
    est = fmt(r["estimate"], **kw)
    if flag == "caution":
        est = f"({est})"
    if str(r.get("precision", "")) == "not estimable":
        return {"estimate": est, "ci": "not estimable", "flag": flag}
    extra = 0
    while fmt(r["ci_low"], extra=extra, **kw) == fmt(r["ci_high"], extra=extra, **kw) and extra < 4:
        extra += 1
    lo, hi = fmt(r["ci_low"], extra=extra, **kw), fmt(r["ci_high"], extra=extra, **kw)
    return {"estimate": est, "ci": f"{lo} to {hi}" if lo and hi else "", "flag": flag}


def _index(df: pd.DataFrame) -> dict[tuple[str, str, str, str, str], pd.Series]:
    keys = zip(
        df["scenario"].astype(str),
        df["measure"].astype(str),
        df["indicator"].astype(str),
        df["domain"].astype(str),
        df["level"].astype(str),
        strict=True,
    )
    return {k: r for k, (_, r) in zip(keys, df.iterrows(), strict=True)}


def _usd(cell: dict[str, str], r: pd.Series | None, money: Any, scale: float = 1.0) -> dict:
    """A cost cell with its US dollars (the estimate and the CI bounds), when a rate is set."""
    if r is None or money is None or not money.has_usd or cell["flag"] == "suppressed":
        return cell | {"usd": "", "usd_ci": ""}
    fmt = LocaleFormat("en")

    def usd(x: Any) -> str:
        return money.fmt_usd(float(x), fmt) if _finite(x) else ""

    lo, hi = usd(r["ci_low"]), usd(r["ci_high"])
    return cell | {"usd": usd(r["estimate"]), "usd_ci": f"{lo} to {hi}" if lo and hi else ""}


def report_context(
    df: pd.DataFrame, config: Mapping[str, Any], money: Any = None
) -> dict[str, Any]:
    """Everything the partial shows, from ``scenarios.csv``, the configuration and the money
    yardsticks (:class:`hhsurvey.outputs.money.Money`: US$, the NHI per-capita payment)."""
    from hhsurvey.outputs.figures.scenarios import cost_effect, svg_data_uri

    scfg = dict(config.get("scenarios") or {})
    level = f"{float(config['design']['level']) * 100:g}%"
    if df.empty or not scfg.get("packages"):
        return {"available": False, "level": level}
    names = labels(scfg)
    catalogue = {i.id: i.label for i in load_catalogue(config["indicators"]["catalogue"])}
    ids = [i for i in scfg["indicators"] if i in set(df["indicator"])]
    at = _index(df)

    def get(sid: str, measure: str, iid: str, domain: str = "total", lev: str = "total"):
        return at.get((sid, measure, iid, domain, lev))

    indicators = [{"id": i, "label": catalogue.get(i, i)} for i in ids]
    actual = [_cell(get(ACTUAL, "level", i), _pct) | {"id": i} for i in ids]
    packages, rows, incidence = [], [], []
    quintiles = sorted(
        {str(x) for x in df.loc[df["measure"] == "incidence", "level"]}, key=lambda s: int(s)
    )
    for p in load_packages(scfg):
        packages.append(
            {
                "id": p.id,
                "label": p.label,
                "types": list(p.types) if p.types is not None else None,
                "cost_items": list(p.items) if p.items is not None else None,
                "providers": list(p.providers) if p.providers is not None else None,
                "share": f"{p.share * 100:g}",
                "cap_per_record": _lak(p.cap_per_record) if p.cap_per_record else "",
                "cap_per_household_year": (
                    _lak(p.cap_per_household_year) if p.cap_per_household_year else ""
                ),
                "insurance": p.insurance,
                "quintiles": [str(q) for q in p.quintiles] if p.quintiles else None,
                "schemes": list(p.schemes) if p.schemes else None,
            }
        )
        rows.append(
            {
                "id": p.id,
                "label": p.label,
                "cells": [
                    {
                        "id": i,
                        "level": _cell(get(p.id, "level", i), _pct),
                        "change": _cell(get(p.id, "change", i), _pct, points=True),
                    }
                    for i in ids
                ],
                "cost_total": _usd(
                    _cell(get(p.id, "cost", COST_TOTAL), _lak, scale=1e6),
                    get(p.id, "cost", COST_TOTAL),
                    money,
                ),
                "cost_per_capita": _usd(
                    _cell(get(p.id, "cost", COST_PER_CAPITA), _lak),
                    get(p.id, "cost", COST_PER_CAPITA),
                    money,
                ),
                "cost_per_covered": _usd(
                    _cell(get(p.id, "cost", COST_PER_COVERED), _lak),
                    get(p.id, "cost", COST_PER_COVERED),
                    money,
                ),
                "everyone": p.everyone,
            }
        )
        incidence.append(
            {
                "id": p.id,
                "label": p.label,
                "cells": [
                    _cell(get(p.id, "incidence", INCIDENCE, "quintile", q), _pct) for q in quintiles
                ],
            }
        )
    figure = None
    if FIGURE_INDICATOR in ids:
        fig = cost_effect(
            df,
            {k: v for k, v in names.items() if k != ACTUAL},
            indicator=FIGURE_INDICATOR,
            xlabel=FIGURE_TEXT["xlabel"],
            ylabel=FIGURE_TEXT["ylabel"],
            empty=FIGURE_TEXT["empty"],
        )
        figure = {
            "src": svg_data_uri(fig),
            "title": FIGURE_TEXT["title"],
            "alt": f"{FIGURE_TEXT['title']}. {FIGURE_TEXT['alt']}",
        }
    fmt = LocaleFormat("en")
    return {
        "available": True,
        "level": level,
        "usd": bool(money is not None and money.has_usd),
        "nhi": money.nhi_text(fmt, str) if money is not None else "",
        "nhi_assumption": bool(money is not None and money.nhi_assumption),
        "indicators": indicators,
        "actual": actual,
        "packages": packages,
        "rows": rows,
        "quintiles": quintiles,
        "incidence": incidence,
        "figure": figure,
    }


# --------------------------------------------------------------------------- the headline


def _value(r: pd.Series | None) -> dict[str, Any] | None:
    """Estimate, CI and flag of a row as plain numbers (None when absent or suppressed)."""
    if r is None:
        return None
    flag = "" if pd.isna(r.get("flag")) else str(r.get("flag"))
    if flag == "suppressed" or not _finite(r["estimate"]):
        return None
    return {
        "estimate": float(r["estimate"]),
        "ci_low": float(r["ci_low"]) if _finite(r["ci_low"]) else math.nan,
        "ci_high": float(r["ci_high"]) if _finite(r["ci_high"]) else math.nan,
        "flag": flag,
    }


def headline(df: pd.DataFrame, scenarios: Mapping[str, Any], indicator: str) -> dict | None:
    """The scenario headline of the executive summary, the briefs and "What this means":
    among the configured packages, the one with the largest fall in *indicator* (the change
    actual - scenario, positive = fall), with the actual and scenario levels and its costs;
    and, among the packages whose fall is positive with a CI above zero, the one with the
    largest fall per LAK per person (``best_value``). None when no package has a usable fall."""
    if df.empty or not scenarios.get("packages"):
        return None
    at = _index(df)

    def get(sid: str, measure: str, iid: str):
        return _value(at.get((sid, measure, iid, "total", "total")))

    rows = []
    for p in load_packages(dict(scenarios)):
        fall = get(p.id, "change", indicator)
        if fall is None:
            continue
        rows.append(
            {
                "id": p.id,
                "label": p.label,
                "fall": fall,
                "level": get(p.id, "level", indicator),
                "cost_total": get(p.id, "cost", COST_TOTAL),
                "cost_per_capita": get(p.id, "cost", COST_PER_CAPITA),
                "cost_per_covered": get(p.id, "cost", COST_PER_COVERED),
                "everyone": p.everyone,
            }
        )
    if not rows:
        return None
    best = max(rows, key=lambda r: r["fall"]["estimate"])
    tested = [
        r
        for r in rows
        if r["fall"]["ci_low"] > 0 and r["cost_per_capita"] and r["cost_per_capita"]["estimate"] > 0
    ]
    value = (
        max(tested, key=lambda r: r["fall"]["estimate"] / r["cost_per_capita"]["estimate"])
        if tested
        else None
    )
    return best | {
        "indicator": indicator,
        "n_packages": len(load_packages(dict(scenarios))),
        "actual": get(ACTUAL, "level", indicator),
        "significant": best["fall"]["ci_low"] > 0,
        "best_value": value,
    }
