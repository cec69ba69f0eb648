"""Money a reader can weigh (hhsurvey.outputs.money): US dollars at the configured rate of the
base year, per person per day, share of mean household consumption, the NHI payment brought
to base-year prices. Every expected value is worked out by hand below."""

from __future__ import annotations

import pandas as pd
import pytest
from demo_config import config

from hhsurvey.errors import InputError
from hhsurvey.outputs.i18n import LocaleFormat
from hhsurvey.outputs.money import CONSUMPTION_INDICATOR, load_money

EN = LocaleFormat("en")


def _config(**money) -> dict:
    return {
        "prices": {"base_year": 2013, "cpi": {2013: 120.0, 2019: 150.0}},
        "money": {
            "usd": {"lak_per_usd": 8000, "year": 2013, "assumption": True, "source": "test"},
            "nhi_per_capita": {
                "lak_per_person_year": 30000,
                "year": 2019,
                "assumption": True,
                "source": "test",
            },
        }
        | money,
    }


INDICATORS = pd.DataFrame(
    {
        "indicator": [CONSUMPTION_INDICATOR, CONSUMPTION_INDICATOR],
        "domain": ["total", "area"],
        "level": ["total", "urban"],
        "estimate": [20_000_000.0, 1.0],
    }
)
DIAGNOSTICS = pd.DataFrame(
    {
        "scope": ["overall", "overall", "stratum"],
        "level": ["total", "total", "urban"],
        "measure": ["weighted_persons", "weighted_households", "weighted_persons"],
        "value": [50_000.0, 10_000.0, 1.0],
    }
)


def test_dollars_and_yardsticks_by_hand():
    m = load_money(_config(), INDICATORS, DIAGNOSTICS)
    # 5 persons per household (50,000 / 10,000); 20 million LAK of consumption per household
    assert m.persons_per_household == 5.0
    assert m.usd(1_071_083) == pytest.approx(1_071_083 / 8000)
    # 1,095,000 LAK a household a year = 1,095,000 / 5 / 365 = 600 LAK per person per day
    assert m.per_person_day(1_095_000) == pytest.approx(600.0)
    assert m.share_of_consumption(1_000_000) == pytest.approx(0.05)
    # per person 200,000 LAK a year = 1,000,000 per household = 5 % of consumption
    assert m.share_of_consumption_per_person(200_000) == pytest.approx(0.05)
    assert m.lak_usd(1_071_083, EN, str) == "1,071,083 LAK (US$134)"
    assert m.lak_usd(2_298_000_000, EN, str, scale=1e6) == "2,298 million LAK (US$287,250)"
    assert m.fmt_usd(600, EN) == "US$0.075"
    assert m.yardsticks(1_095_000, EN, str) == (
        "600 LAK (US$0.075) per person per day, 5.5% of mean household consumption"
    )


def test_nhi_payment_in_base_year_prices():
    """30,000 LAK of 2019 is 30,000 x 120 / 150 = 24,000 LAK of 2013."""
    m = load_money(_config(), INDICATORS, DIAGNOSTICS)
    assert m.nhi_per_capita == pytest.approx(24_000)
    assert m.nhi_text(EN, str) == (
        "the NHI per-capita payment, 24,000 LAK (US$3.00) a year (ASSUMPTION)"
    )


def test_the_rate_must_be_of_the_base_year():
    bad = _config(usd={"lak_per_usd": 8000, "year": 2019, "assumption": False, "source": "x"})
    with pytest.raises(InputError, match="base year 2013"):
        load_money(bad)


def test_without_a_rate_amounts_stay_in_lak():
    m = load_money({"prices": {"base_year": 2013}})
    assert not m.has_usd and m.lak_usd(1000, EN, str) == "1,000 LAK"


def test_the_demo_rate_and_its_source_are_in_the_config():
    """The rate is the base year's, with its source, and marked ASSUMPTION until verified."""
    cfg = config()
    usd = cfg["money"]["usd"]
    assert usd["year"] == cfg["prices"]["base_year"]
    assert "PA.NUS.FCRF" in usd["source"] and usd["lak_per_usd"] > 1000
    nhi = cfg["money"]["nhi_per_capita"]
    assert nhi["assumption"] is True and "ASSUMPTION" in nhi["source"]
