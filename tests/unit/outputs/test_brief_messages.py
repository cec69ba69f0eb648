"""Key-message rules, the care cascade and the i18n check, on small hand-made tables.

Each rule is tested both ways: on a fixture where its condition holds the message is written
(and every number in its text is a value of the tables, formatted for the locale); where the
condition fails (a difference not significant after the multiplicity adjustment, a pair not
screened or not tested, suppressed or missing rows, a national figure that supports no
verdict) it is not. Expected numbers are typed by hand here.
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


def diff(iid, by, a, b, ea, eb, d, lo, hi, p, p_adj, flags=("", "")):
    """A row of differences.csv (analysis.differences), typed by hand."""
    return {
        "family": "key_messages",
        "multiplicity": "benjamini_hochberg",
        "indicator": iid,
        "by": by,
        "level_a": a,
        "level_b": b,
        "estimate_a": ea,
        "estimate_b": eb,
        "difference": d,
        "se": (hi - lo) / 4,
        "ci_low": lo,
        "ci_high": hi,
        "df": 20.0,
        "p_value": p,
        "p_adjusted": p_adj,
        "significant": p_adj < 0.05,
        "tests_in_family": 2,
        "flag_a": flags[0],
        "flag_b": flags[1],
    }


def differences(**over) -> pd.DataFrame:
    rows = {
        "che": diff("che_sdg_10", "quintile", 5, 1, 0.11, 0.02, 0.09, 0.048, 0.132, 0.0004, 0.0008),
        "care": diff(
            "care_seeking", "insured_status", "insured", "not insured",
            0.80, 0.45, 0.35, 0.21, 0.49, 0.0001, 0.0002,
        ),
    }  # fmt: skip
    rows.update(over)
    return pd.DataFrame([r for r in rows.values() if r is not None])


def comparison(source_type="survey", verdict="higher than national", se=0.02):
    return pd.DataFrame(
        [
            {
                "indicator": "care_seeking",
                "estimate": 0.55,
                "national_value": 0.36,
                "national_year": "2018/19",
                "verdict": verdict,
                "comparability": "comparable",
                "source_type": source_type,
                "uncertain": False,
                "national_se": se,
                "national_ci_low": float("nan"),
                "national_ci_high": float("nan"),
                "assumption": "",
                "flag": "",
            }
        ]
    )


def messages(ind=None, comp=None, diffs=None, config=CONFIG, **kw):
    return key_messages(
        indicators() if ind is None else ind,
        comparison() if comp is None else comp,
        CATALOGUE,
        config,
        kw.pop("gettext", _),
        differences=differences() if diffs is None else diffs,
        **kw,
    )


def by_rule(msgs):
    """The first message of each rule."""
    out = {}
    for m in msgs:
        out.setdefault(m.rule, m)
    return out


def test_every_rule_writes_its_message_when_the_condition_holds():
    msgs = by_rule(messages())
    assert set(msgs) == {"size", "insurance_gap", "quintile_gradient", "national"}
    # 0.0712 is about 1 in 14 (1 / 0.0712 = 14.04); numbers typed by hand.
    assert msgs["size"].text == (
        "Ill in the last 30 days: about 1 in 14 (7.1%; 95% CI 6.0% to 8.4%)."
    )
    # the difference with its CI, from the design-based contrast (differences.csv)
    assert msgs["quintile_gradient"].text == (
        "Catastrophic spending: 11.0% in the richest fifth of the population against 2.0% in "
        "the poorest fifth, 9.0 percentage points higher (95% CI 4.8 to 13.2)."
    )
    assert msgs["insurance_gap"].text == (
        "Sought care: 80.0% among insured people against 45.0% among people without "
        "insurance, 35.0 percentage points higher (95% CI 21.0 to 49.0)."
    )
    assert msgs["quintile_gradient"].values["difference"] == 0.09
    assert "national survey figure of 36.0% (2018/19)" in msgs["national"].text


def test_no_output_states_the_overlap_rule():
    for m in messages():
        assert "overlap" not in m.text


def test_a_pair_significant_alone_but_not_after_adjustment_is_not_a_key_message():
    """p = 0.03 passes at 5 % on its own; adjusted over the family (Benjamini-Hochberg, R
    p.adjust: 0.05 for the five p-values of golden_claims.json) it does not: no message."""
    close = diff("che_sdg_10", "quintile", 5, 1, 0.11, 0.02, 0.09, 0.01, 0.17, 0.03, 0.05)
    msgs = messages(diffs=differences(che=close))
    assert [m for m in msgs if m.rule == "quintile_gradient"] == []
    # the same pair, significant after adjustment, is a message
    sure = close | {"p_adjusted": 0.04, "significant": True}
    assert [m.rule for m in messages(diffs=differences(che=sure))].count("quintile_gradient") == 1


@pytest.mark.parametrize(
    ("rule", "over", "diffs", "comp"),
    [
        # the pair was not screened (not in differences.csv): no test, no message
        ("quintile_gradient", {}, {"che": None}, None),
        # the pair was listed but not tested (a side suppressed or not applicable)
        (
            "quintile_gradient",
            {},
            {"che": diff("che_sdg_10", "quintile", 5, 1, 0.11, float("nan"), *[float("nan")] * 5)},
            None,
        ),
        # no insured_status pair at all
        ("insurance_gap", {}, {"care": None}, None),
        # insured and uninsured do not differ significantly after adjustment
        (
            "insurance_gap",
            {},
            {
                "care": diff(
                    "care_seeking",
                    "insured_status",
                    "insured",
                    "not insured",
                    0.55,
                    0.45,
                    0.10,
                    -0.02,
                    0.22,
                    0.09,
                    0.18,
                )
            },  # fmt: skip
            None,
        ),
        # an administrative national figure: for context only, never a verdict
        ("national", {}, {}, comparison(source_type="administrative")),
        # a survey figure without a published margin of error: no verdict either
        ("national", {}, {}, comparison(se=float("nan"))),
        # the overall row is suppressed: no size message for it, nor a national one
        ("size", {("illness_30d", "total", "total"): (0.07, 0.06, 0.08, "suppressed")}, {}, None),
    ],
)
def test_no_message_when_the_condition_fails(rule, over, diffs, comp):
    msgs = messages(indicators(over), comp, differences(**diffs))
    about = {"size": "illness_30d"}.get(rule)
    written = [m for m in msgs if m.rule == rule and (about is None or about in m.indicator_ids)]
    assert written == []


def test_lower_and_not_distinguishable_verdicts_and_limit():
    lower = diff("che_sdg_10", "quintile", 5, 1, 0.05, 0.20, -0.15, -0.22, -0.08, 1e-4, 2e-4)
    msgs = by_rule(
        messages(
            comp=comparison(verdict="not distinguishable from national"),
            diffs=differences(che=lower),
        )
    )
    # a negative difference reads "lower", with the size of the gap and its CI
    assert msgs["quintile_gradient"].text.endswith(
        "15.0 percentage points lower (95% CI 8.0 to 22.0)."
    )
    assert "not distinguishable from the national survey figure" in msgs["national"].text
    assert len(messages(config=CONFIG | {"max": 2})) == 2


def test_an_indicator_resting_on_an_assumed_line_carries_its_mark():
    msgs = messages(assumptions={"illness_30d": "uses an assumed line"})
    size = by_rule(msgs)["size"]
    assert size.text.endswith(
        "This figure rests on a poverty line that is an assumption, not an official line."
    )


def test_in_words_by_hand():
    fmt = LocaleFormat("en")
    assert in_words(0.0712, _, fmt) == "about 1 in 14"
    assert in_words(0.19, _, fmt) == "about 1 in 5"
    assert in_words(0.34, _, fmt) == "about 3 in 10"
    assert in_words(0.96, _, fmt) == "almost everyone"
    assert in_words(0.0, _, fmt) is None


def test_every_number_of_every_message_is_in_the_table_lao_formatting():
    """Lao catalogue and number format: each number of the text parses back to a value of
    the tables (an estimate, an interval bound, a difference or its CI, the national figure)
    rounded as printed."""
    tr = load_translations(REPO / "report" / "locale", "lo")
    ind, diffs = indicators(), differences()
    msgs = messages(ind, diffs=diffs, gettext=tr.gettext, lang="lo")
    assert len(msgs) == 5
    table = set(ind[["estimate", "ci_low", "ci_high"]].to_numpy().ravel()) | {0.36, 0.95}
    table |= set(diffs[["estimate_a", "estimate_b", "difference", "ci_low", "ci_high"]]
                 .to_numpy().ravel())  # fmt: skip
    for m in msgs:
        assert re.search("[\u0e80-\u0eff]", m.text), m.text  # translated
        for num in re.findall(r"\d+(?:,\d+)?%?", m.text):
            x = parse_number(num, "lo") / 100
            assert num.isdigit() or any(abs(x - round(100 * v, 1) / 100) < 1e-9 for v in table), (
                num,
                m.text,
            )
        for k, v in m.values.items():
            assert k == "p_adjusted" or v in table, (k, v)


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
