"""Money a reader can weigh: an amount in LAK beside its US dollars and its yardsticks.

Every LAK amount of the executive summary, the briefs and the scenario section is given

- in US dollars at the official exchange rate of the base year (config ``money.usd``, with its
  source; marked ASSUMPTION when the value is not verified), the amounts being in base-year LAK;
- per person per day (an amount per household and year over the mean household size, weighted
  persons / weighted households of the round's weight diagnostics, and 365 days);
- as a share of mean household consumption (the round's ``consumption_annual_hh_mean``);
- for a scenario cost per covered person and year, beside the NHI per-capita payment (config
  ``money.nhi_per_capita``, in base-year prices by the CPI of ``prices.cpi``).

Only arithmetic and formatting: the yardsticks are point values (ratios of published
estimates), stated as such; the estimates keep their own intervals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from hhsurvey.errors import InputError
from hhsurvey.outputs.i18n import LocaleFormat

__all__ = ["CONSUMPTION_INDICATOR", "Money", "load_money"]

#: The catalogue indicator of mean annual household consumption (the yardstick).
CONSUMPTION_INDICATOR = "consumption_annual_hh_mean"
DAYS = 365.0

Gettext = Callable[[str], str]


def _finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Money:
    """The rate, the NHI payment and the round's yardsticks (None where unknown)."""

    lak_per_usd: float | None = None
    usd_year: int | None = None
    usd_source: str = ""
    usd_assumption: bool = False
    nhi_per_capita: float | None = None
    nhi_year: int | None = None
    nhi_source: str = ""
    nhi_assumption: bool = False
    persons_per_household: float | None = None
    consumption_per_household: float | None = None

    @property
    def has_usd(self) -> bool:
        return self.lak_per_usd is not None

    def usd(self, lak: float) -> float | None:
        return float(lak) / self.lak_per_usd if self.lak_per_usd and _finite(lak) else None

    def per_person_day(self, lak_per_household_year: float) -> float | None:
        if not self.persons_per_household or not _finite(lak_per_household_year):
            return None
        return float(lak_per_household_year) / self.persons_per_household / DAYS

    def share_of_consumption(self, lak_per_household_year: float) -> float | None:
        if not self.consumption_per_household or not _finite(lak_per_household_year):
            return None
        return float(lak_per_household_year) / self.consumption_per_household

    def share_of_consumption_per_person(self, lak_per_person_year: float) -> float | None:
        if not self.persons_per_household or not _finite(lak_per_person_year):
            return None
        return self.share_of_consumption(float(lak_per_person_year) * self.persons_per_household)

    # ------------------------------------------------------------------ words

    def fmt_usd(self, lak: float, fmt: LocaleFormat) -> str:
        """``US$136``, ``US$5.5``, ``US$0.07``: about three significant figures."""
        v = self.usd(lak)
        if v is None:
            return ""
        a = abs(v)
        decimals = 0 if a >= 100 else 1 if a >= 10 else 2 if a >= 0.1 else 3
        if a >= 1e6:
            return "US$" + fmt.number(v / 1e6, 2) + "\u00a0M"
        return "US$" + fmt.number(v, decimals)

    def lak_usd(self, lak: float, fmt: LocaleFormat, _: Gettext, scale: float = 1.0) -> str:
        """``1,071,083 LAK (US$136)``; *scale* 1e6 writes ``2,298 million LAK``."""
        if not _finite(lak):
            return ""
        amount = fmt.number(float(lak) / scale, 0)
        text = (
            _("{amount} million LAK").format(amount=amount)
            if scale == 1e6
            else _("{amount} LAK").format(amount=amount)
        )
        usd = self.fmt_usd(lak, fmt)
        return f"{text} ({usd})" if usd else text

    def yardsticks(self, lak_per_household_year: float, fmt: LocaleFormat, _: Gettext) -> str:
        """``587 LAK (US$0.07) per person per day, 4.0% of mean household consumption``."""
        parts = []
        day = self.per_person_day(lak_per_household_year)
        if day is not None:
            parts.append(_("{amount} per person per day").format(amount=self.lak_usd(day, fmt, _)))
        share = self.share_of_consumption(lak_per_household_year)
        if share is not None:
            parts.append(
                _("{share} of mean household consumption").format(share=fmt.percent(share, 1))
            )
        return ", ".join(parts)

    def nhi_text(self, fmt: LocaleFormat, _: Gettext) -> str:
        """``the NHI per-capita payment, 30,000 LAK (US$3.82) a year (ASSUMPTION)``."""
        if self.nhi_per_capita is None:
            return ""
        text = _("the NHI per-capita payment, {amount} a year").format(
            amount=self.lak_usd(self.nhi_per_capita, fmt, _)
        )
        return text + (" (" + _("ASSUMPTION") + ")" if self.nhi_assumption else "")


def _persons_per_household(diagnostics: pd.DataFrame | None) -> float | None:
    if diagnostics is None or diagnostics.empty:
        return None
    d = diagnostics.loc[diagnostics["scope"].astype(str) == "overall"]
    values = dict(zip(d["measure"].astype(str), d["value"], strict=True))
    persons, households = values.get("weighted_persons"), values.get("weighted_households")
    if _finite(persons) and _finite(households) and float(households) > 0:
        return float(persons) / float(households)
    return None


def _consumption(indicators: pd.DataFrame | None) -> float | None:
    if indicators is None or indicators.empty:
        return None
    rows = indicators.loc[
        (indicators["indicator"] == CONSUMPTION_INDICATOR)
        & (indicators["domain"].astype(str) == "total")
    ]
    if rows.empty or not _finite(rows["estimate"].iloc[0]):
        return None
    return float(rows["estimate"].iloc[0]) or None


def load_money(
    config: Mapping[str, Any],
    indicators: pd.DataFrame | None = None,
    diagnostics: pd.DataFrame | None = None,
) -> Money:
    """The config's ``money`` block (validated by the schema), checked against the base year,
    with the round's yardsticks. No ``money`` block: amounts in LAK only."""
    cfg = config.get("money") or {}
    prices = config.get("prices") or {}
    base = prices.get("base_year")
    yard = {
        "persons_per_household": _persons_per_household(diagnostics),
        "consumption_per_household": _consumption(indicators),
    }
    if not cfg:
        return Money(**yard)
    usd = cfg["usd"]
    if base is not None and int(usd["year"]) != int(base):
        raise InputError(
            f"money.usd is the rate of {usd['year']}, but amounts are in LAK of the base year "
            f"{base}",
            "config/config.yaml, money.usd.year",
            "set the official exchange rate of prices.base_year (WDI PA.NUS.FCRF)",
        )
    nhi = cfg.get("nhi_per_capita") or {}
    nhi_value = None
    if nhi:
        nhi_value = float(nhi["lak_per_person_year"])
        cpi = {int(k): float(v) for k, v in (prices.get("cpi") or {}).items()}
        year = int(nhi["year"])
        if base is not None and year != int(base):
            if year not in cpi or int(base) not in cpi:
                raise InputError(
                    f"no CPI for {year} to bring the NHI payment to {base} prices",
                    "config/config.yaml, money.nhi_per_capita.year and prices.cpi",
                    "add the CPI of that year or give the payment in base-year prices",
                )
            nhi_value *= cpi[int(base)] / cpi[year]
    return Money(
        lak_per_usd=float(usd["lak_per_usd"]),
        usd_year=int(usd["year"]),
        usd_source=str(usd["source"]),
        usd_assumption=bool(usd["assumption"]),
        nhi_per_capita=nhi_value,
        nhi_year=int(base) if base is not None else None,
        nhi_source=str(nhi.get("source", "")),
        nhi_assumption=bool(nhi.get("assumption", False)),
        **yard,
    )
