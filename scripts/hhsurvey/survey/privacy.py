"""Free-text privacy: "other, specify" answers are scanned for personal identifiers at ingest.

Before any free text leaves ingest it is compared with the round's own identifiers (the names,
phone numbers and GPS coordinates of every household, read from the columns the codebook lists
under `pii:` and never written anywhere) and with phone-number and coordinate patterns. Each
match is replaced by a marker such as ``[redacted: phone]``; the cleaning log counts the
redactions by cell without ever showing the value. A data owner who wants no verbatim answer
at all sets ``report.show_verbatim: false``: every free-text cell is then withheld.

Cost: the round's identifiers are compiled once per round into Aho-Corasick automata
(:class:`Redactor`: one for the names, one for the phone digit strings, one for the coordinate
strings), and one pass of each over the whole text column finds the few cells that hold any
candidate; only those cells are rewritten. The work is linear in the amount of text and in
the number of identifiers, never their product (tests/unit/survey/test_redaction_scale.py).
The rewriting of a cell follows the rules below in this order, each on the text left by the
one before:

1. the round's own coordinate strings, longest first (plain substrings);
2. the coordinate pattern :data:`COORDINATE`, then the phone pattern :data:`PHONE`;
3. the round's own phone numbers, longest first, with up to two separators (space, brackets,
   dot, plus, dash) between any two digits and no boundary required;
4. the round's own names (whole names and name parts of four or more letters), as whole words,
   case-insensitive exactly as Python's ``re.IGNORECASE`` compares characters; at each place
   the longest name that ends a word wins.
"""

from __future__ import annotations

import _sre  # the case mapping of Python's re module (its compiler uses the same functions)
import re
from dataclasses import dataclass, field
from functools import cache
from re._casefix import _EXTRA_CASES  # characters re.IGNORECASE treats as one (ſ/s, K/k…)

import ahocorasick
import numpy as np
import pandas as pd

REDACTION_COLUMNS = ["table", "row", "column", "raw_variable", "kinds"]

# A phone number: 7 or more digits, possibly with +, spaces, dots, dashes or brackets between.
PHONE = re.compile(r"(?<![\w.])\+?\d(?:[\s().-]{0,2}\d){6,}(?![\w])")
# A coordinate: a decimal number with four or more decimals (about 10 m), optional sign.
COORDINATE = re.compile(r"(?<![\w.])-?\d{1,3}\.\d{4,}(?![\d.])")
# Name parts shorter than this are not searched alone (they match ordinary words).
MIN_NAME_PART = 4
# Separators allowed between two digits of a household's own phone number, and how many.
PHONE_SEPARATOR = re.compile(r"[\s().+-]")
MAX_SEPARATORS = 2

MARK = {
    "name": "[redacted: name]",
    "phone": "[redacted: phone]",
    "coordinates": "[redacted: coordinates]",
}
_NON_DIGIT = re.compile(r"\D")
_LETTER = re.compile(r"[^\W\d_]")
_NAME_SPLIT = re.compile(r"[\s,.'-]+")
_KEPT = re.compile(r"[^\s().+-]")  # the characters of a text that are not phone separators
_JOIN = "\x00"  # joins the cells of a column for the one pass (matches no identifier rule)


@dataclass
class Identifiers:
    """The round's identifiers: name strings and phone digit strings to search for."""

    names: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    coordinates: set[str] = field(default_factory=set)


def _digits(s: str) -> str:
    return _NON_DIGIT.sub("", s)


def collect_identifiers(columns: list[pd.Series]) -> Identifiers:
    """Identifiers from the `pii:` columns of the raw files, sorted into names, phones, GPS."""
    ids = Identifiers()
    for s in columns:
        if pd.api.types.is_numeric_dtype(s):
            for v in s.dropna().to_numpy(dtype="float64"):
                for decimals in (6, 5, 4):
                    ids.coordinates.add(f"{v:.{decimals}f}".rstrip("0").rstrip("."))
            continue
        for v in s.dropna().astype(str):
            v = v.strip()
            if not v:
                continue
            digits = _digits(v)
            if len(digits) >= 7:
                ids.phones.add(digits)
                ids.phones.add(digits[-8:])  # the local part without a country/area prefix
            elif _LETTER.search(v):
                ids.names.add(v.casefold())
                ids.names.update(
                    p.casefold() for p in _NAME_SPLIT.split(v) if len(p) >= MIN_NAME_PART
                )
    return ids


class _Fold(dict):
    """``str.translate`` table: every character to one representative of the characters that
    ``re.IGNORECASE`` matches with it (its simple lower case, then re's extra equivalences)."""

    def __missing__(self, code: int) -> int:
        lower = _sre.unicode_tolower(code)
        self[code] = folded = min((lower, *_EXTRA_CASES.get(lower, ())))
        return folded


FOLD = _Fold()


@cache
def _separator_codes() -> np.ndarray:
    """Code points of every character :data:`PHONE_SEPARATOR` matches."""
    every = "".join(map(chr, range(0x110000)))
    return np.array(sorted(ord(c) for c in PHONE_SEPARATOR.findall(every)), dtype=np.uint32)


def _automaton(words: dict[str, object]) -> ahocorasick.Automaton | None:
    if not words:
        return None
    a = ahocorasick.Automaton()
    for word, value in words.items():
        a.add_word(word, value)
    a.make_automaton()
    return a


def _longest_first(s: str) -> tuple[int, str]:
    return -len(s), s


def _is_word(ch: str) -> bool:
    """``\\w`` of Python's re for one character."""
    return ch.isalnum() or ch == "_"


def _replace(text: str, spans: list[tuple[int, int]], mark: str) -> str:
    pieces, pos = [], 0
    for start, end in sorted(spans):
        pieces += [text[pos:start], mark]
        pos = end
    return "".join(pieces) + text[pos:]


def _skeleton(text: str) -> tuple[str, list[int]]:
    """The text without phone separators, and where each remaining character stood."""
    where = [m.start() for m in _KEPT.finditer(text)]
    return "".join(text[i] for i in where), where


class Redactor:
    """The round's identifiers compiled once: built per round, applied to every text column."""

    def __init__(self, ids: Identifiers) -> None:
        self.coordinates = _automaton({c: c for c in ids.coordinates if c})
        self.phones = _automaton({d: d for d in ids.phones if d})
        self.names = _automaton({n.translate(FOLD): len(n) for n in ids.names if n})

    def redact(self, values: pd.Series) -> tuple[pd.Series, pd.Series]:
        """Redact identifiers in free text; return the new text and, per cell, the kinds found
        ("name, phone", or empty)."""
        text = values.astype("string")
        present = np.flatnonzero(text.notna().to_numpy())
        cells = [str(v) for v in text.iloc[present]]
        new = text.copy()
        kinds = pd.Series("", index=values.index, dtype="str")
        done = [(i, *self.redact_one(cells[i])) for i in self.candidates(cells)]
        done = [(i, out, k) for i, out, k in done if k]
        if done:
            rows = present[[i for i, _, _ in done]]
            new.iloc[rows] = [out for _, out, _ in done]
            kinds.iloc[rows] = [k for _, _, k in done]
        return new.astype("str").where(text.notna(), np.nan), kinds

    def candidates(self, cells: list[str]) -> np.ndarray:
        """Indices of the cells in which any rule could match: one pass of each matcher over
        the column (cells joined by a character that no rule matches or crosses)."""
        if not cells:
            return np.array([], dtype=np.int64)
        joined = _JOIN.join(cells)
        starts = np.cumsum([0] + [len(c) + 1 for c in cells[:-1]])
        found = [m.start() for rx in (COORDINATE, PHONE) for m in rx.finditer(joined)]
        if self.coordinates is not None:
            found += [end for end, _ in self.coordinates.iter(joined)]
        if self.names is not None:
            found += [end for end, _ in self.names.iter(joined.translate(FOLD))]
        if self.phones is not None:
            codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            kept = np.flatnonzero(~np.isin(codes, _separator_codes()))
            skeleton = codes[kept].tobytes().decode("utf-32-le", "surrogatepass")
            found += kept[[end for end, _ in self.phones.iter(skeleton)]].tolist()
        return np.unique(np.searchsorted(starts, np.asarray(found, dtype=np.int64), "right") - 1)

    def redact_one(self, text: str) -> tuple[str, str]:
        """One cell: the redacted text and the kinds found (the rules of the module doc)."""
        kinds: set[str] = set()
        out = text
        if self.coordinates is not None:  # coordinates first: 18.923925 is also eight digits
            for c in sorted({c for _, c in self.coordinates.iter(out)}, key=_longest_first):
                if c in out:
                    kinds.add("coordinates")
                    out = out.replace(c, MARK["coordinates"])
        for kind, rx in (("coordinates", COORDINATE), ("phone", PHONE)):
            out, n = rx.subn(MARK[kind], out)
            if n:
                kinds.add(kind)
        for kind, find in (("phone", self._own_phones), ("name", self._names)):
            spans = find(out)
            if spans:
                kinds.add(kind)
                out = _replace(out, spans, MARK[kind])
        return out, ", ".join(sorted(kinds))

    def _own_phones(self, text: str) -> list[tuple[int, int]]:
        """Spans of the round's phone numbers, separators allowed between digits: longest
        number first, each number's occurrences left to right, never overlapping."""
        if self.phones is None:
            return []
        skeleton, where = _skeleton(text)
        found: dict[str, list[tuple[int, int]]] = {}
        for end, digits in self.phones.iter(skeleton):
            first = end - len(digits) + 1
            if all(where[j + 1] - where[j] <= MAX_SEPARATORS + 1 for j in range(first, end)):
                found.setdefault(digits, []).append((where[first], where[end] + 1))
        spans: list[tuple[int, int]] = []
        for digits in sorted(found, key=_longest_first):
            last = -1
            for start, end in sorted(found[digits]):
                if start >= last and all(end <= s or start >= e for s, e in spans):
                    spans.append((start, end))
                    last = end
        return spans

    def _names(self, text: str) -> list[tuple[int, int]]:
        """Spans of the round's names as whole words, left to right, longest name first."""
        if self.names is None:
            return []
        at: dict[int, list[int]] = {}
        for end, length in self.names.iter(text.translate(FOLD)):
            at.setdefault(end - length + 1, []).append(length)
        spans: list[tuple[int, int]] = []
        pos = 0
        for start in sorted(at):
            if start < pos or (start > 0 and _is_word(text[start - 1])):
                continue
            for length in sorted(at[start], reverse=True):
                end = start + length
                if end == len(text) or not _is_word(text[end]):
                    spans.append((start, end))
                    pos = end
                    break
        return spans


def redact_text(values: pd.Series, ids: Identifiers | Redactor) -> tuple[pd.Series, pd.Series]:
    """Redact identifiers in free text; return the new text and, per cell, the kinds found
    ("name, phone", or empty). Pass a :class:`Redactor` to reuse the round's matchers."""
    redactor = ids if isinstance(ids, Redactor) else Redactor(ids)
    return redactor.redact(values)


__all__ = [
    "COORDINATE",
    "PHONE",
    "Identifiers",
    "Redactor",
    "collect_identifiers",
    "redact_text",
]
