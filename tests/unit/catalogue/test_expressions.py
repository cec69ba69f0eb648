"""The catalogue's expression grammar (docs/expressions.md): what it evaluates, what it
refuses before evaluating anything, and the categories a literal must be one of."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from testpaths import REPO

from hhsurvey.catalogue.expressions import evaluate, parse
from hhsurvey.catalogue.model import load_catalogue
from hhsurvey.errors import InputError

WHERE = "config/indicators.yaml, indicator x (definition)"


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [4.0, 30.0, np.nan, 70.0],
            "oop": [0.0, 500.0, 1200.0, np.nan],
            "hhsize": [2, 4, 3, 1],
            "scheme": pd.Categorical(
                ["cbhi", None, "hef", "cbhi"], categories=["cbhi", "hef", "sso"]
            ),
            "insured": pd.Categorical(["yes", "no", "yes", "yes"], categories=["yes", "no"]),
            "has_episode": [True, False, True, False],
            "group": ["public", "private", "nan", "public"],
        }
    )


def run(frame, expr, **kw) -> list:
    return evaluate(frame, expr, WHERE, **kw).tolist()


def test_arithmetic_comparisons_boolean_operators(frame):
    assert run(frame, "oop / hhsize") == [0.0, 125.0, 400.0, pytest.approx(np.nan, nan_ok=True)]
    assert run(frame, "(age >= 5) & (age < 65)") == [False, True, False, False]
    assert run(frame, "(insured == 'yes') & (scheme == 'cbhi')") == [True, False, False, True]
    assert run(frame, "scheme in ['cbhi', 'hef']") == [True, False, True, True]
    assert run(frame, "scheme not in ['cbhi']") == [False, True, True, False]
    assert run(frame, "has_episode & ~(insured == 'no')") == [True, False, True, False]
    assert run(frame, "has_episode and not (age > 10)") == [True, False, True, False]
    assert run(frame, "5 < age < 65") == [False, True, False, False]
    assert run(frame, "-oop + 2 ** 2 * 1") == [
        4.0,
        -496.0,
        -1196.0,
        pytest.approx(np.nan, nan_ok=True),
    ]


def test_allowed_functions_and_methods(frame):
    assert run(frame, "(1 - oop / 1000).clip(lower=0)")[:3] == [1.0, 0.5, 0.0]
    assert run(frame, "12 * age.where(has_episode, 0)")[:2] == [48.0, 0.0]
    assert run(frame, "oop.fillna(0)") == [0.0, 500.0, 1200.0, 0.0]
    assert run(frame, "age.isna()") == [False, False, True, False]
    assert run(frame, "abs(-hhsize)") == [2, 4, 3, 1]
    assert run(frame, "1") == [1.0, 1.0, 1.0, 1.0]  # a literal is broadcast


@pytest.mark.parametrize(
    ("expr", "named"),
    [
        ("age.to_csv('../../outside.csv')", "a call of `to_csv(...)`"),
        ("__import__('os').system('echo pwned')", "a call of `system(...)`"),
        ("__import__('os')", "a call of `__import__(...)`"),
        ("open('/etc/passwd')", "a call of `open(...)`"),
        ("eval('1')", "a call of `eval(...)`"),
        ("age.__class__", "the attribute `.__class__`"),
        ("age.values", "the attribute `.values`"),
        ("age[0]", "`Subscript`"),
        ("(lambda: 1)()", "a call of `?(...)`"),
        ("[a for a in age]", "`ListComp`"),
        ("'abc'.upper()", "a call of `upper(...)`"),
        ("age.clip(lower=0).to_pickle('x')", "a call of `to_pickle(...)`"),
        ("age.clip(axis=0)", "`.clip(...)` with arguments ['axis']"),
        ("None", "the literal None"),
        ("age @ age", "the operator `MatMult`"),
        ("age is None", "the comparison `Is`"),
        ("age in age", "`in` with something else than a list of literals"),
    ],
)
def test_anything_else_is_refused_before_evaluation(frame, expr, named, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as err:
        evaluate(frame, expr, WHERE)
    assert named in err.value.what and "does not allow" in err.value.what
    assert err.value.where == f"{WHERE}: `{expr}`"
    assert "docs/expressions.md" in err.value.fix
    assert list(tmp_path.iterdir()) == []  # nothing was written


def test_unknown_column_and_syntax_error(frame):
    with pytest.raises(InputError, match=r"`sheme` is not a column .*close: \['scheme'\]"):
        evaluate(frame, "sheme == 'cbhi'", WHERE)
    with pytest.raises(InputError, match="not valid"):
        evaluate(frame, "(age > 1", WHERE)
    with pytest.raises(InputError, match="without parentheses"):
        evaluate(frame, "age > 1 & oop > 0", WHERE)


def test_a_literal_compared_with_a_category_must_be_one_of_its_categories(frame):
    """`scheme == 'CBHI'` was 0.0 in every breakdown."""
    with pytest.raises(InputError) as err:
        evaluate(frame, "(insured == 'yes') & (scheme == 'CBHI')", WHERE)
    e = err.value
    assert "'CBHI' is not a category of `scheme`" in e.what and "['cbhi', 'hef', 'sso']" in e.what
    assert "write 'cbhi' (categories are case-sensitive)" in e.fix
    with pytest.raises(InputError, match="'NHI' is not a category"):
        evaluate(frame, "scheme in ['cbhi', 'NHI']", WHERE)
    with pytest.raises(InputError, match="'Yes' is not a category of `insured`"):
        evaluate(frame, "'Yes' == insured", WHERE)
    # a category the round lacks but the indicator declares as its instrument: allowed
    assert run(frame, "scheme == 'nhi'", allowed={"scheme": {"nhi"}}) == [False] * 4
    # text columns with a declared set of values are checked the same way
    with pytest.raises(InputError, match="'Public' is not a category of `group`"):
        evaluate(frame, "group == 'Public'", WHERE, values={"group": {"public", "private"}})
    # a category that exists but no record holds is fine (an estimate of 0 is then true)
    assert run(frame, "scheme == 'sso'") == [False] * 4


def test_the_catalogue_is_parsed_when_it_is_loaded(tmp_path):
    doc = yaml.safe_load((REPO / "config/indicators.yaml").read_text(encoding="utf-8"))
    doc["indicators"][0]["definition"] = "age.to_csv('../../outside.csv')"
    path = tmp_path / "indicators.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_catalogue(str(path))
    iid = doc["indicators"][0]["id"]
    assert f"indicator {iid} (definition)" in err.value.where
    assert not (tmp_path.parent.parent / "outside.csv").exists()


def test_every_expression_of_the_catalogue_parses():
    for ind in load_catalogue(str(REPO / "config/indicators.yaml")):
        for key in ("definition", "universe", "denominator"):
            expr = getattr(ind, key)
            if (
                expr
                and expr != "all"
                and not (key == "definition" and ind.estimator == "composite")
            ):
                parse(expr, ind.id)
