"""Free-text redaction (issue 28): linear in the round, and the same answers as the plain rules.

* Linearity without a timed test: the redaction of a synthetic round at 1x and 10x is run under
  ``sys.settrace``, which counts every Python function call and executed line (loop iterations
  included), with ``re`` compilations counted too. The work per free-text cell must not grow with
  the number of households. The quadratic code of issue 28 (one regex per phone number of the
  round for every cell) did 10x the work per cell at 10x, and stops here on the work budget.
* Same results: the matchers compiled once per round give, on random texts mixing the round's
  identifiers with separators, case changes, Lao script and digits, the answer of the rules
  written the plain way (one regex per identifier, applied one after the other) in
  :func:`plain_redact` below.
"""

from __future__ import annotations

import re
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hhsurvey.survey.privacy import (
    COORDINATE,
    FOLD,
    PHONE,
    Identifiers,
    collect_identifiers,
    redact_text,
)

SYLLABLES = ["vieng", "say", "phon", "sa", "vanh", "souk", "dao", "kham", "bou", "noy", "lath"]
SURNAMES = ["Phimmasone", "Vongsouthi", "Luangrath", "Douangphachanh", "Keomany", "Sihavong"]
ORDINARY = ["army card", "Police health fund", "ປະກັນສຸຂະພາບທະຫານ", "Military health scheme"]


def synthetic_round(households: int, seed: int = 28) -> tuple[list[pd.Series], pd.Series]:
    """The `pii:` columns of a round and one free-text answer per household: 70 % ordinary
    answers, the rest naming a household's head, phone number or GPS position."""
    rng = np.random.default_rng(seed)
    first = ["".join(rng.choice(SYLLABLES, 3)).title() for _ in range(households)]
    names = [f"{f} {rng.choice(SURNAMES)}" for f in first]
    phones = [f"020 5{rng.integers(100, 999)} {rng.integers(1000, 9999)}" for _ in first]
    lat = np.round(18.9 + rng.uniform(0, 0.1, households), 6)
    lon = np.round(102.4 + rng.uniform(0, 0.1, households), 6)
    texts = []
    for i in range(households):
        j = int(rng.integers(households))
        texts.append(
            {
                7: f"card of {names[j]}",
                8: f"tel{phones[j]}",  # no boundary: only the round's own numbers find it
                9: f"near {lat[j]:.6f}",
            }.get(i % 10, ORDINARY[i % 4])
        )
    pii = [pd.Series(names), pd.Series(phones), pd.Series(lat), pd.Series(lon)]
    return pii, pd.Series(texts, dtype="str")


class OverBudget(BaseException):
    """The traced work exceeded the budget: the test fails at once instead of running on (a
    BaseException, so that no ``except Exception`` in the traced code swallows it)."""


def traced_work(fn, budget: float = float("inf")) -> tuple[int, int]:
    """Python calls + executed lines while ``fn()`` runs, and the regex compilations."""
    count = 0
    compiled = 0
    real = re._compile

    def compile_(*args, **kwargs):
        nonlocal compiled
        compiled += 1
        return real(*args, **kwargs)

    def tracer(frame, event, arg):
        nonlocal count
        count += 1
        if count > budget:
            raise OverBudget(f"more than {budget:.0f} traced events")
        return tracer

    re._compile = compile_
    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(None)
        re._compile = real
    if count > budget:  # the exception was swallowed after all
        raise OverBudget(f"more than {budget:.0f} traced events")
    return count, compiled


def redact_round(households: int):
    pii, text = synthetic_round(households)

    def run():
        ids = collect_identifiers(pii)
        new, kinds = redact_text(text, ids)
        run.kinds = kinds

    return run, len(text)


def test_redaction_work_per_cell_does_not_grow_with_the_round():
    small, cells_small = redact_round(300)
    # a ceiling first, about ten times today's cost (150-200 traced events per cell), so that
    # quadratic code stops here rather than running on for minutes
    work_small, compiled_small = traced_work(small, budget=2000 * cells_small)
    assert (small.kinds != "").sum() > 50  # the synthetic answers do hold identifiers
    per_cell = work_small / cells_small
    big, cells_big = redact_round(3000)
    # 10x the households and cells: at most 1.5x the work per cell (fixed costs shrink per cell)
    work_big, compiled_big = traced_work(big, budget=1.5 * per_cell * cells_big)
    assert work_big / cells_big <= 1.5 * per_cell
    assert compiled_big <= compiled_small  # the matchers are built once, never per cell
    assert (big.kinds != "").sum() > 10 * 50


def plain_redact(values: pd.Series, ids: Identifiers) -> tuple[pd.Series, pd.Series]:
    """The rules of hhsurvey.survey.privacy written the plain (quadratic) way: each of the
    round's coordinates and phone numbers searched for one after the other, longest first,
    and the names as one regex alternation, longest first."""
    alts = "|".join(re.escape(n) for n in sorted(ids.names, key=lambda n: (-len(n), n)))
    names = re.compile(rf"(?<!\w)(?:{alts})(?!\w)", re.IGNORECASE) if ids.names else None
    longest_first = sorted(ids.phones, key=lambda d: (-len(d), d))
    coords = sorted(ids.coordinates, key=lambda c: (-len(c), c))

    def one(text: str) -> tuple[str, str]:
        kinds: set[str] = set()
        out = text
        for c in coords:
            if c in out:
                kinds.add("coordinates")
                out = out.replace(c, "[redacted: coordinates]")
        for kind, rx in (("coordinates", COORDINATE), ("phone", PHONE)):
            out, n = rx.subn(f"[redacted: {kind}]", out)
            kinds |= {kind} if n else set()
        for digits in longest_first:
            spaced = r"[\s().+-]{0,2}".join(re.escape(d) for d in digits)
            out, n = re.subn(spaced, "[redacted: phone]", out)
            kinds |= {"phone"} if n else set()
        if names is not None:
            out, n = names.subn("[redacted: name]", out)
            kinds |= {"name"} if n else set()
        return out, ", ".join(sorted(kinds))

    done = [one(v) if isinstance(v, str) else (v, "") for v in values]
    return (
        pd.Series([d[0] for d in done], index=values.index, dtype="str"),
        pd.Series([d[1] for d in done], index=values.index, dtype="str"),
    )


PII = [
    pd.Series(["Viengsay Phimmasone", "Davone Vongsouthi", "ແສງດາວ ຈັນທະວົງ", "Kéo Strauß", "Anna"]),
    pd.Series(["020 5564 1468", "", "+856 20 5242 8687", "0205564146"]),
    pd.Series([18.923925, 102.452138, 18.9, 102.0]),
]
IDS = collect_identifiers(PII)
PIECES = [
    *(v for s in PII for v in s.astype(str)),
    *IDS.names,
    *(n.upper() for n in IDS.names),
    "ANNA",
    "annas",
    "_anna",
    "STRAUSS",
    "ſtrauß",
    "KÉO",
    "ɪ",
    "20-5564-1468",
    "2055641468",
    "(020) 5564.1468",
    "2 0 5 5 6 4 1 4 6 8",
    "0205564146855641468",
    "18.92392512",
    "102.4521",
    "1.234567",
    "102",
    "army card",
    "ປະກັນ",
]
SEPARATORS = ["", " ", "  ", "-", ".", "x", ",", "(", ")", "+", "_", "\t", "ຈ"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(SEPARATORS)), max_size=6))
def test_same_answers_as_the_plain_rules(parts):
    text = "".join(p + s for p, s in parts)
    values = pd.Series([text, None, "nothing here"])
    new, kinds = redact_text(values, IDS)
    want_new, want_kinds = plain_redact(values, IDS)
    assert new.iloc[0] == want_new.iloc[0]
    assert new.iloc[2] == "nothing here" and pd.isna(new.iloc[1])
    assert kinds.tolist() == want_kinds.tolist()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the longer number wins over its own last eight digits, wherever it is written
        ("tel0205564146855641468", "tel[redacted: phone][redacted: phone]"),
        # a name inside a longer word is not a name; the same name alone is
        ("Annas and anna", "Annas and [redacted: name]"),
        # re.IGNORECASE's equivalences: the long s matches s, the capital sharp s does not
        ("ſtrauss ẞtrauss", "[redacted: name] ẞtrauss"),
    ],
)
def test_hand_cases(text, expected):
    ids = collect_identifiers([pd.Series(["Anna Strauss", "x"]), pd.Series(["020 5564 1468", ""])])
    new, _ = redact_text(pd.Series([text]), ids)
    assert new.iloc[0] == expected


def test_case_folding_is_that_of_re_ignorecase():
    """Characters fold alike exactly when ``re.IGNORECASE`` matches one with the other (every
    character of the Basic Multilingual Plane; the same check over all of Unicode found no
    difference either)."""
    chars = [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]
    groups: dict[str, list[str]] = {}
    for c, f in zip(chars, "".join(chars).translate(FOLD), strict=True):
        groups.setdefault(f, []).append(c)
    for c in chars:
        same = groups[chr(FOLD[ord(c)])]
        others = {c.lower(), c.upper(), c.casefold(), c.title()} - set(same)
        others = {t for t in others if len(t) == 1}
        if len(same) == 1 and not others:
            continue  # a character without case: re matches it alone, and so does the fold
        # every character that folds alike matches; the other case forms do not fold alike
        # and do not match
        assert all(re.fullmatch(re.escape(c), t, re.IGNORECASE) for t in same), c
        assert not any(re.fullmatch(re.escape(c), t, re.IGNORECASE) for t in others), c
