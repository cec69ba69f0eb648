"""The report partial of the scenarios (``report/templates/_scenarios.html.j2``) renders from
``scenario_report.report_context`` with autoescape on and undefined names as errors."""

from __future__ import annotations

import re

import pytest
from jinja2 import DictLoader, Environment, FileSystemLoader, StrictUndefined
from jinja2.loaders import ChoiceLoader
from scenario_fixture import CONFIG, EVERYTHING, OPD_CAPPED, run
from testpaths import REPO

from hhsurvey.outputs.report.scenarios import report_context
from hhsurvey.prepare.aggregate import household_aggregates

ROOT = REPO
HOSTILE = '<script>alert("x")</script> & Co'


def render(context: dict) -> str:
    env = Environment(
        loader=ChoiceLoader(
            [
                DictLoader({"page.html.j2": '{% include "_scenarios.html.j2" %}'}),
                FileSystemLoader(str(ROOT / "report" / "templates")),
            ]
        ),
        autoescape=True,
        undefined=StrictUndefined,
    )
    return env.get_template("page.html.j2").render(scenarios=context)


@pytest.fixture(scope="module")
def page() -> tuple[str, dict]:
    from indicator_fixture import indicator_round, weights_table

    tables = indicator_round()
    agg = household_aggregates(
        tables,
        weights_table(),
        strata="area",
        ctp_excluded_food=CONFIG["indicators"]["ctp"]["exclude_food_items"],
        eq_beta=CONFIG["indicators"]["ctp"]["beta"],
    )
    hostile = {**EVERYTHING, "label": HOSTILE, "eligible": {"insurance": "uninsured"}}
    packages = [OPD_CAPPED, hostile]
    df = run(tables, agg, packages)
    config = {
        **CONFIG,
        "scenarios": {
            "indicators": sorted(set(df["indicator"]) - {"cost_total", "cost_per_capita"}),
            "by": ["area", "quintile"],
            "packages": packages,
        },
    }
    config["scenarios"]["indicators"] = [
        i for i in ["che_sdg_10", "che_sdg_25", "che_ctp_40"] if i in set(df["indicator"])
    ]
    # eight households: every estimate is flagged suppressed; shown as on a full sample here
    ctx = report_context(df.assign(flag=""), config)
    return render(ctx), {"df": df, "ctx": ctx, "config": config}


def test_partial_renders_tables_figure_and_caveat(page):
    html, data = page
    assert (
        html.count('<tr data-scenario="opd_capped">') == 1 + 3 + 1 + 1
    )  # packages, 3 indicators, cost, incidence
    assert "static simulation" in html and "lower bound" in html
    assert "Cheaper care usually raises use" in html
    assert re.search(r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="', html)
    # the cost per person of the R-checked package, as R gives it (140,896.55 LAK)
    assert "140,897" in html
    # benefit incidence: one cell per quintile present in the data
    inc = html.split('id="scenario-incidence"')[1].split("</table>")[0]
    assert inc.count('<td class="num">') == 2 * len(data["ctx"]["quintiles"])
    assert "outpatient care for an illness" in html and "at most LAK 50,000 per episode" in html


def test_labels_are_escaped(page):
    html, _ = page
    assert HOSTILE not in html and "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in html
    assert "the uninsured" in html


def test_without_scenarios_the_section_says_so():
    html = render({"available": False, "level": "95%"})
    assert "No benefit-package scenario was simulated" in html


def test_suppressed_estimates_are_not_shown(page):
    _, data = page
    html = render(report_context(data["df"], data["config"]))
    cost = html.split('id="scenario-cost"')[1].split("</table>")[0]
    assert "140,897" not in cost and '<td class="num">*</td>' in cost
