"""Key-message rules, the care cascade and the i18n check, on small hand-made tables.

Each rule is tested both ways: on a fixture where its condition holds the message is written
(and every number in its text is the indicators.csv value, formatted for the locale); where
the condition fails (overlapping intervals, suppressed or missing rows, a national figure
whose definition differs) it is not. Expected numbers are typed by hand here.
"""

from __future__ import annotations

import gettext
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from testpaths import REPO

from hhsurvey.outputs.brief.cascade import cascade_data, cascade_figure
from hhsurvey.outputs.brief.messages import in_words, key_messages
from hhsurvey.outputs.i18n import LocaleFormat, check, load_translations, parse_number

_ = gettext.NullTranslations().gettext
CATALOGUE = {
    "illness_30d": {"label": "Ill in the last 30 days", "unit": "percent"},
    "care_seeking": {"label": "Sought care", "unit": "percent"},
    "che_sdg_10": {"label": "Catastrophic spending", "unit": "percent"},
    "oop_mean": {"label": "OOP per episode", "unit": "lak"},
}
CONFIG = {
    "rules": ["national", "insurance_gap", "quintile_gradient", "size"],
    "max": 5,
    "size": ["illness_30d", "care_seeking"],
    "quintile_gradient": ["che_sdg_10"],
    "insurance_gap": ["care_seeking"],
    "national": ["care_seeking"],
    "national_comparability": ["comparable"],
}


def row(iid, domain, level, est, lo, hi, flag=""):
    return {
        "indicator": iid,
        "domain": domain,
        "level": level,
        "estimate": est,
        "se": (hi - lo) / 4,
        "ci_low": lo,
        "ci_high": hi,
        "flag": flag,
    }


def indicators(over=None) -> pd.DataFrame:
    rows = {
        ("illness_30d", "total", "total"): (0.0712, 0.060, 0.084),
        ("care_seeking", "total", "total"): (0.55, 0.48, 0.62),
        ("care_seeking", "insured_status", "insured"): (0.80, 0.70, 0.88),
        ("care_seeking", "insured_status", "not insured"): (0.45, 0.38, 0.52),
        ("che_sdg_10", "total", "total"): (0.05, 0.04, 0.06),
        ("che_sdg_10", "quintile", "1"): (0.02, 0.01, 0.035),
        ("che_sdg_10", "quintile", "5"): (0.11, 0.08, 0.15),
    }
    rows.update(over or {})
    return pd.DataFrame([row(i, d, lv, *v) for (i, d, lv), v in rows.items() if v is not None])


def comparison(comparability="comparable", verdict="higher than national"):
    return pd.DataFrame(
        [
            {
                "indicator": "care_seeking",
                "estimate": 0.55,
                "national_value": 0.36,
                "national_year": "2018/19",
                "verdict": verdict,
                "comparability": comparability,
                "flag": "",
            }
        ]
    )


def by_rule(msgs):
    """The first message of each rule."""
    out = {}
    for m in msgs:
        out.setdefault(m.rule, m)
    return out


def test_every_rule_writes_its_message_when_the_condition_holds():
    msgs = by_rule(key_messages(indicators(), comparison(), CATALOGUE, CONFIG, _))
    assert set(msgs) == {"size", "insurance_gap", "quintile_gradient", "national"}
    # 0.0712 is about 1 in 14 (1 / 0.0712 = 14.04); numbers typed by hand.
    assert msgs["size"].text == (
        "Ill in the last 30 days: about 1 in 14 (7.1%; 95% CI 6.0% to 8.4%)."
    )
    assert msgs["quintile_gradient"].text.startswith(
        "Catastrophic spending is higher in the richest fifth of the population "
        "(11.0%; 95% CI 8.0% to 15.0%) than in the poorest fifth (2.0%; 95% CI 1.0% to 3.5%)."
    )
    assert (
        "is higher among insured people (80.0%; 95% CI 70.0% to 88.0%)"
        in msgs["insurance_gap"].text
    )
    assert "(45.0%; 95% CI 38.0% to 52.0%)" in msgs["insurance_gap"].text
    assert "national figure of 36.0% (2018/19)" in msgs["national"].text


@pytest.mark.parametrize(
    ("rule", "over", "comp"),
    [
        # intervals overlap: 1-3.5% and 3-15%
        ("quintile_gradient", {("che_sdg_10", "quintile", "5"): (0.08, 0.03, 0.15)}, None),
        # the poorest quintile suppressed
        (
            "quintile_gradient",
            {("che_sdg_10", "quintile", "1"): (0.02, 0.01, 0.035, "suppressed")},
            None,
        ),
        # the poorest quintile has no case: 0 % with a zero-width interval, no test
        ("quintile_gradient", {("che_sdg_10", "quintile", "1"): (0.0, 0.0, 0.0)}, None),
        # no insured_status rows at all
        ("insurance_gap", {("care_seeking", "insured_status", "insured"): None}, None),
        # insured and uninsured intervals overlap
        (
            "insurance_gap",
            {("care_seeking", "insured_status", "insured"): (0.55, 0.50, 0.60)},
            None,
        ),
        # the national figure's definition differs
        ("national", {}, "definition_differs"),
        # the overall row is suppressed: no size message for it, nor a national one
        ("size", {("illness_30d", "total", "total"): (0.07, 0.06, 0.08, "suppressed")}, None),
    ],
)
def test_no_message_when_the_condition_fails(rule, over, comp):
    msgs = key_messages(indicators(over), comparison(comp or "comparable"), CATALOGUE, CONFIG, _)
    about = {"size": "illness_30d"}.get(rule)
    written = [m for m in msgs if m.rule == rule and (about is None or about in m.indicator_ids)]
    assert written == []


def test_lower_and_not_distinguishable_verdicts_and_limit():
    ind = indicators(
        {
            ("che_sdg_10", "quintile", "1"): (0.20, 0.15, 0.25),
            ("che_sdg_10", "quintile", "5"): (0.05, 0.03, 0.08),
        }
    )
    msgs = by_rule(
        key_messages(
            ind, comparison(verdict="not distinguishable from national"), CATALOGUE, CONFIG, _
        )
    )
    assert "is lower in the richest fifth" in msgs["quintile_gradient"].text
    assert "not distinguishable from the national figure" in msgs["national"].text
    assert len(key_messages(ind, comparison(), CATALOGUE, CONFIG | {"max": 2}, _)) == 2


def test_in_words_by_hand():
    fmt = LocaleFormat("en")
    assert in_words(0.0712, _, fmt) == "about 1 in 14"
    assert in_words(0.19, _, fmt) == "about 1 in 5"
    assert in_words(0.34, _, fmt) == "about 3 in 10"
    assert in_words(0.96, _, fmt) == "almost everyone"
    assert in_words(0.0, _, fmt) is None


def test_every_number_of_every_message_is_in_the_table_lao_formatting():
    """Lao catalogue and number format: each number of the text parses back to a value of
    the indicators table (or the national figure) rounded as printed."""
    tr = load_translations(REPO / "report" / "locale", "lo")
    ind = indicators()
    msgs = key_messages(ind, comparison(), CATALOGUE, CONFIG, tr.gettext, lang="lo")
    assert len(msgs) == 5
    # the table, the national figure (0.36) and the confidence level (95%)
    table = set(ind[["estimate", "ci_low", "ci_high"]].to_numpy().ravel()) | {0.36, 0.95}
    for m in msgs:
        assert re.search("[\u0e80-\u0eff]", m.text), m.text  # translated
        for num in re.findall(r"\d+(?:,\d+)?%", m.text):
            x = parse_number(num, "lo") / 100
            assert any(abs(x - round(100 * v, 1) / 100) < 1e-9 for v in table), (num, m.text)
        for v in m.values.values():
            assert v in table


def test_cascade_plots_the_table_values():
    """Bar lengths and error bars are the indicators.csv numbers (x 100), typed by hand; a
    missing group row is 'not available', never a zero bar."""
    spec = {
        "groups": [
            {"domain": "total", "level": "total", "label": "Everyone"},
            {"domain": "insured_status", "level": "insured", "label": "Insured"},
        ],
        "steps": [
            {"indicator": None, "label": "Population", "base": "all"},
            {"indicator": "care_seeking", "label": "Sought care", "base": "% of the ill"},
            {"indicator": "che_sdg_10", "label": "Catastrophic", "base": "% of all"},
        ],
    }
    data = cascade_data(indicators(), spec)
    fig = cascade_figure(data, spec, _)
    ax = fig.axes[0]
    bars = {p.get_gid(): p.get_width() for p in ax.patches if p.get_gid()}
    assert bars == {
        "bar-0-0": 100.0,
        "bar-1-0": pytest.approx(55.0),
        "bar-2-0": pytest.approx(5.0),
        "bar-0-1": 100.0,
        "bar-1-1": pytest.approx(80.0),
    }
    texts = [t.get_text() for t in ax.texts]
    assert "not available" in texts  # che_sdg_10 has no insured row
    assert {"55.0%", "5.0%", "80.0%"} <= set(texts)
    segs = [c for c in ax.collections]
    ends = sorted(
        tuple(sorted((round(float(a[0]), 6), round(float(b[0]), 6))))
        for coll in segs
        for a, b in coll.get_segments()
    )
    assert (48.0, 62.0) in ends and (4.0, 6.0) in ends and (70.0, 88.0) in ends


def test_i18n_check_passes_on_the_repository():
    assert check(REPO) == []


def _copy_sources(tmp_path: Path) -> Path:
    for rel in ("report/templates", "report/locale", "config", "scripts/hhsurvey"):
        shutil.copytree(REPO / rel, tmp_path / rel)
    return tmp_path


def test_i18n_check_fails_on_untranslated_fuzzy_and_unextracted_strings(tmp_path):
    root = _copy_sources(tmp_path)
    tpl = root / "report" / "templates" / "brief.html.j2"
    tpl.write_text(
        tpl.read_text(encoding="utf-8").replace(
            "<footer>", "<footer><p>{% trans %}A new sentence nobody translated{% endtrans %}</p>"
        ),
        encoding="utf-8",
    )
    problems = check(root)
    assert any("missing from the template" in p and "A new sentence" in p for p in problems)
    assert any("lo/LC_MESSAGES" in p and "A new sentence" in p for p in problems)

    root2 = _copy_sources(tmp_path / "b")
    po = root2 / "report" / "locale" / "lo" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    text = text.replace('msgstr "ສີ່ຕົວເລກຫຼັກ"', 'msgstr ""')
    text = text.replace('msgid "Key messages"', '#, fuzzy\nmsgid "Key messages"')
    po.write_text(text, encoding="utf-8")
    problems = check(root2)
    assert any("untranslated 'Four numbers'" in p for p in problems), problems
    assert any("fuzzy (needs review) 'Key messages'" in p for p in problems), problems
    # the untranslated entry falls back to English on the page
    from hhsurvey.outputs import i18n

    tr = i18n.load_translations(root2 / "report" / "locale", "lo")
    assert tr.gettext("Four numbers") == "Four numbers"
