"""Poverty lines in base-year prices (issue 13 item 4): each line from its own price year by
the CPI; PPP lines via the private-consumption PPP factor of their ICP round, then the CPI."""

from __future__ import annotations

import copy

import pytest
import yaml
from testpaths import REPO

from hhsurvey.catalogue.model import load_catalogue
from hhsurvey.errors import InputError
from hhsurvey.prepare.poverty import indicators_using_lines, line_table, resolve_lines

ROOT = REPO
CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
LINES, PRICES = CONFIG["poverty_lines"], CONFIG["prices"]


def test_config_lines_in_2013_prices_by_hand():
    """NATIONAL_FIGURES §10 arithmetic: US$2.15 x 3,133.81 = 6,737.7 LAK a day in 2017 prices;
    x CPI 2013 / CPI 2017 = 119.29 / 128.87 (WDI, 2010 = 100). National: LAK 192,000 a month
    of 2010 x 119.29 / 100."""
    t = line_table(LINES, PRICES).set_index("line")
    assert 2.15 * 3_133.81 == pytest.approx(6_737.69, abs=0.01)
    assert t.loc["international", "annual_lak_base_year"] == pytest.approx(
        6_737.6915 * 119.29 / 128.87 * 365, rel=1e-9
    )
    assert t.loc["national", "annual_lak_base_year"] == pytest.approx(
        192_000 * 12 * 1.1929, rel=1e-12
    )
    assert t.loc["national", "assumption"] and not t.loc["international", "assumption"]
    assert t.loc["national", "price_year"] == 2010 and t.loc["international", "price_year"] == 2017
    assert "3,133.81 LAK per PPP$" in t.loc["international", "conversion"]


@pytest.mark.parametrize(("old", "new"), [(2010, 2017), (2010, 2013), (2010, 2020)])
def test_changing_a_price_year_moves_the_line_by_the_cpi_ratio(old, new):
    cpi = {int(k): v for k, v in PRICES["cpi"].items()}
    moved = copy.deepcopy(LINES)
    moved["national"]["price_year"] = new
    a = resolve_lines(LINES, PRICES)["annual_lak"]["pl_national"]
    b = resolve_lines(moved, PRICES)["annual_lak"]["pl_national"]
    # a line of year y is worth CPI(base)/CPI(y) base-year LAK: b / a = CPI(old) / CPI(new)
    assert b / a == pytest.approx(cpi[old] / cpi[new], rel=1e-12)


def test_changing_the_ppp_year_moves_the_ppp_line_by_the_cpi_ratio():
    moved = copy.deepcopy(LINES)
    moved["ppp"]["year"] = moved["international"]["ppp_year"] = 2011
    a = resolve_lines(LINES, PRICES)
    b = resolve_lines(moved, PRICES)
    assert b["annual_lak"]["pl_215"] / a["annual_lak"]["pl_215"] == pytest.approx(128.87 / 107.58)
    assert b["lak_per_usd_ppp_base"] / a["lak_per_usd_ppp_base"] == pytest.approx(128.87 / 107.58)


def test_missing_cpi_year_and_mismatched_ppp_round_are_clear_errors():
    bad = copy.deepcopy(LINES)
    bad["national"]["price_year"] = 2005
    with pytest.raises(InputError, match=r"prices.cpi has no value for year\(s\) \[2005\]"):
        resolve_lines(bad, PRICES)
    bad = copy.deepcopy(LINES)
    bad["international"]["ppp_year"] = 2011
    with pytest.raises(InputError, match="PPP factor"):
        resolve_lines(bad, PRICES)


def test_indicators_using_the_national_line():
    cat = load_catalogue(str(ROOT / "config" / "indicators.yaml"))
    used = indicators_using_lines(cat, ["pl_national"])
    assert {"poverty_headcount_pre", "impoverished_national", "poverty_gap_change"} <= set(used)
    assert "impoverished_215" not in used and "che_sdg_10" not in used
    assert "che_sdg_revised" in indicators_using_lines(cat, ["pl_215"])
