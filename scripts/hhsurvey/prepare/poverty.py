"""Poverty lines in base-year prices (config ``poverty_lines`` and ``prices``).

Every line carries its own price year. A national line in LAK of year y is moved to the base
year by the CPI: x CPI(base) / CPI(y). A line in 2017 PPP dollars is converted in two steps:
PPP$ -> LAK of the PPP year with the ICP private-consumption PPP factor, then LAK of the PPP
year -> LAK of the base year with the CPI. Each line keeps its sources and an ``assumption``
mark (the line itself, or a factor it uses, is not from a primary source), which the report
prints beside every result that uses it and which stops any comparison verdict
(:mod:`hhsurvey.analysis.compare`).

:func:`resolve_lines` returns the config section with the converted values added (the form the
analysis frames and composite indicators read); :func:`line_table` is the table the report
shows (one row per line: value, price year, conversion, base-year value, mark, sources).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from hhsurvey.errors import InputError

__all__ = [
    "LINE_COLUMNS",
    "LINES",
    "cpi_factor",
    "indicators_using_lines",
    "line_table",
    "resolve_lines",
]

#: Frame column of each configured line (annual LAK per person, base-year prices).
LINES = {"national": "pl_national", "international": "pl_215"}
LINE_COLUMNS = [
    "line",
    "column",
    "value",
    "value_unit",
    "price_year",
    "conversion",
    "annual_lak_base_year",
    "base_year",
    "assumption",
    "source",
]


def cpi_factor(prices: Mapping[str, Any], from_year: int, to_year: int | None = None) -> float:
    """CPI(to_year) / CPI(from_year) from ``prices.cpi`` (to_year: the base year)."""
    cpi = {int(k): float(v) for k, v in (prices.get("cpi") or {}).items()}
    to = int(prices["base_year"]) if to_year is None else int(to_year)
    missing = [y for y in (int(from_year), to) if y not in cpi]
    if missing:
        raise InputError(
            f"prices.cpi has no value for year(s) {missing}",
            "config/config.yaml (prices.cpi; poverty_lines price years)",
            "add the CPI of those years (one series, any base) under prices.cpi",
        )
    return cpi[to] / cpi[int(from_year)]


def line_table(poverty_lines: Mapping[str, Any], prices: Mapping[str, Any]) -> pd.DataFrame:
    """One row per poverty line: its value and price year, the conversion to annual LAK per
    person in base-year prices, the assumption mark and the sources."""
    base = int(prices["base_year"])
    nat = poverty_lines["national"]
    f_nat = cpi_factor(prices, nat["price_year"], base)
    intl, ppp = poverty_lines["international"], poverty_lines["ppp"]
    f_ppp = cpi_factor(prices, ppp["year"], base)
    if int(intl["ppp_year"]) != int(ppp["year"]):
        raise InputError(
            f"the international line is in {intl['ppp_year']} PPP dollars but the PPP factor "
            f"is of {ppp['year']}",
            "config/config.yaml (poverty_lines.international.ppp_year, poverty_lines.ppp.year)",
            "use a PPP conversion factor of the same ICP round as the line",
        )
    rows = [
        {
            "line": "national",
            "column": LINES["national"],
            "value": float(nat["lak_per_person_month"]),
            "value_unit": "LAK per person per month",
            "price_year": int(nat["price_year"]),
            "conversion": (f"x 12 months x CPI {base} / CPI {nat['price_year']} ({f_nat:.4f})"),
            "annual_lak_base_year": float(nat["lak_per_person_month"]) * 12.0 * f_nat,
            "base_year": base,
            "assumption": bool(nat.get("assumption", False)),
            "source": f"{nat['source']}; CPI: {prices.get('source', '')}".strip(),
        },
        {
            "line": "international",
            "column": LINES["international"],
            "value": float(intl["usd_ppp_per_day"]),
            "value_unit": f"{ppp['year']} PPP$ per person per day",
            "price_year": int(intl["ppp_year"]),
            "conversion": (
                f"x {float(ppp['lak_per_usd_ppp']):,.2f} LAK per PPP$ ({ppp['year']} prices) "
                f"x CPI {base} / CPI {ppp['year']} ({f_ppp:.4f}) x 365 days"
            ),
            "annual_lak_base_year": float(intl["usd_ppp_per_day"])
            * float(ppp["lak_per_usd_ppp"])
            * f_ppp
            * 365.0,
            "base_year": base,
            "assumption": bool(intl.get("assumption", False) or ppp.get("assumption", False)),
            "source": f"{intl['source']}; PPP: {ppp['source']}; CPI: {prices.get('source', '')}",
        },
    ]
    return pd.DataFrame(rows, columns=LINE_COLUMNS)


def resolve_lines(poverty_lines: Mapping[str, Any], prices: Mapping[str, Any]) -> dict[str, Any]:
    """The ``poverty_lines`` config with the base-year values added:

    - ``annual_lak``: {frame column: annual LAK per person in base-year prices};
    - ``lak_per_usd_ppp_base``: LAK of the base year per PPP dollar (revised SDG 3.8.2);
    - ``assumption``: {frame column: True when the line rests on an assumption}.
    """
    table = line_table(poverty_lines, prices)
    ppp = poverty_lines["ppp"]
    return {
        **poverty_lines,
        "annual_lak": dict(zip(table["column"], table["annual_lak_base_year"], strict=True)),
        "lak_per_usd_ppp_base": float(ppp["lak_per_usd_ppp"])
        * cpi_factor(prices, ppp["year"], prices["base_year"]),
        "assumption": dict(zip(table["column"], table["assumption"], strict=True)),
    }


def indicators_using_lines(
    catalogue: Iterable[Any], columns: Iterable[str]
) -> dict[str, list[str]]:
    """Indicator id -> the line columns its universe, definition or denominator uses (only
    those in ``columns``; composite functions that use a line are listed by name)."""
    cols = list(columns)
    out: dict[str, list[str]] = {}
    for ind in catalogue:
        text = " ".join(
            str(x) for x in (ind.universe, ind.definition, ind.denominator, ind.params) if x
        )
        used = [c for c in cols if re.search(rf"\b{re.escape(c)}\b", text)]
        if ind.definition == "revised_sdg_catastrophic" and LINES["international"] in cols:
            used.append(LINES["international"])
        if used:
            out[ind.id] = used
    return out


def assumption_marks(
    catalogue: Iterable[Any], poverty_lines: Mapping[str, Any], prices: Mapping[str, Any]
) -> dict[str, str]:
    """Indicator id -> why it rests on an assumption: the poverty lines marked ASSUMPTION in
    the config that its definition uses. The comparison gives such an indicator no verdict, and
    the report, the brief and the change report never show it as a headline without its mark."""
    lines = line_table(poverty_lines, prices)
    assumed = lines.loc[lines["assumption"], "column"].tolist()
    names = dict(zip(lines["column"], lines["line"], strict=True))
    return {
        iid: "uses the "
        + " and ".join(f"{names[c]} poverty line" for c in cols)
        + ", which is an ASSUMPTION (config poverty_lines)"
        for iid, cols in indicators_using_lines(catalogue, assumed).items()
    }
