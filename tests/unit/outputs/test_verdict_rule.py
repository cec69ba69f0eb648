"""The one verdict rule (issue 23): :func:`hhsurvey.catalogue.national.verdict_basis`, and the
report, the brief and the change report agreeing on which national figures are comparable
because all three read it (:func:`hhsurvey.catalogue.national.comparable`).

A verdict ("higher/lower than national") needs a survey figure with the same definition, not
uncertain, with a published SE or CI, against a district estimate resting on no assumption.
"""

from __future__ import annotations

import gettext
import math

import pandas as pd
import pytest

from hhsurvey.analysis.compare import compare_national
from hhsurvey.catalogue.national import comparable, verdict_basis
from hhsurvey.outputs.brief.build import _national_rows
from hhsurvey.outputs.change_report import national_context
from hhsurvey.outputs.i18n import LocaleFormat
from hhsurvey.outputs.report.spec import load_catalogue
from hhsurvey.outputs.report.tables import comparison_rows, context_only, national_refs
from hhsurvey.paths import REPO

NAN = math.nan
OK = {
    "source_type": "survey",
    "comparability": "comparable",
    "uncertain": False,
    "national_se": 0.01,
    "national_ci_low": NAN,
    "national_ci_high": NAN,
    "assumption": "",
}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({}, ""),
        ({"national_se": NAN, "national_ci_low": 0.2, "national_ci_high": 0.3}, ""),
        ({"source_type": "administrative"}, "an administrative figure: for context only"),
        ({"source_type": "accounts"}, "a national-accounts figure: for context only"),
        ({"source_type": ""}, "a figure whose source type is not stated: for context only"),
        ({"source_type": None}, "a figure whose source type is not stated: for context only"),
        ({"source_type": "other"}, "not a survey estimate: for context only"),
        ({"comparability": "definition_differs"}, "the definition differs from ours"),
        ({"comparability": "context_only"}, "the definition differs from ours"),
        ({"uncertain": True}, "uncertain source: for context only"),
        ({"national_se": NAN}, "the national figure's uncertainty is not published"),
        ({"national_se": NAN, "national_ci_low": 0.2}, "uncertainty is not published"),
        ({"assumption": "uses an assumed line"}, "uses an assumed line: for context only"),
    ],
)
def test_verdict_basis(change, reason):
    got = verdict_basis(**(OK | change))
    assert (got == "") if reason == "" else got.startswith(reason) or reason in got


def _national(cid, kind, comp, se):
    return {
        "comparator_id": cid,
        "indicator": "coverage_any",
        "national_label": cid,
        "value": 0.30,
        "unit": "fraction",
        "se": se,
        "ci_low": NAN,
        "ci_high": NAN,
        "year": "2013",
        "source": f"source {cid}",
        "read_in": "",
        "table_page": "",
        "definition_note": "",
        "comparability": comp,
        "round": "all",
        "uncertain": False,
        "source_type": kind,
    }


def comparison() -> pd.DataFrame:
    """Four comparators of one estimate, one of which supports a verdict."""
    ind = pd.DataFrame(
        [
            {
                "indicator": "coverage_any",
                "domain": "total",
                "level": "total",
                "estimate": 0.40,
                "se": 0.02,
                "ci_low": 0.36,
                "ci_high": 0.44,
                "df": 18.0,
                "flag": "",
            }
        ]
    )
    nat = pd.DataFrame(
        [
            _national("survey_same", "survey", "comparable", 0.01),
            _national("admin", "administrative", "comparable", 0.01),
            _national("survey_differs", "survey", "definition_differs", 0.01),
            _national("survey_no_se", "survey", "comparable", NAN),
        ]
    )
    return compare_national(ind, nat, "baseline", headline=["coverage_any"])


def test_report_brief_and_change_report_read_the_one_rule():
    cmp = comparison()
    rule = dict(zip(cmp["comparator_id"], comparable(cmp), strict=True))
    assert rule == {
        "survey_same": True,
        "admin": False,
        "survey_differs": False,
        "survey_no_se": False,
    }
    # the comparison gives a verdict to that row only
    verdicts = dict(zip(cmp["comparator_id"], cmp["verdict"], strict=True))
    assert verdicts["survey_same"] == "higher than national"
    assert {verdicts[c] for c in ("admin", "survey_differs", "survey_no_se")} == {
        "for context only"
    }
    # the report: context only = not comparable, and no verdict printed for them
    cat = load_catalogue(REPO / "config" / "indicators.yaml")
    rows = {r["anchor"]: r for r in comparison_rows(cat, cmp, national_refs(cmp))}
    for cid, ok in rule.items():
        assert context_only(cmp.loc[cmp["comparator_id"] == cid].iloc[0]) is (not ok)
        shown = rows[f"cmp-{cid}"]["verdict"]
        assert (shown == "higher than national") if ok else shown.startswith("for context only")
    # the brief: the national table holds exactly the comparable rows
    catalogue = {e.id: e for e in cat.entries}
    _ = gettext.NullTranslations().gettext
    brief = _national_rows(cmp, catalogue, _, LocaleFormat("en"))
    assert [r["verdict"] for r in brief] == ["higher than national"]
    # the change report: "context only" marks the same rows
    cells, table = national_context(
        {"baseline": cmp, "endline": cmp},
        {"baseline": {"name": "b"}, "endline": {"name": "e"}},
        cat,
    )
    for t in table:
        assert t["context"] is (not rule[t["anchor"].split("-", 2)[2]])
