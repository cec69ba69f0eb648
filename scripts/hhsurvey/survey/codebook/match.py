"""Text matching between a raw file's labels and a codebook's canonical names.

Shared by ``codebook_check`` (do the file's value labels contradict the codebook?) and
``codebook_draft`` (which raw variable and code is which canonical column and category?).
Fuzzy scores come from RapidFuzz; the token rules here only decide what counts as "the same
word" (a category's words all found in a label, or an acronym of the label's words). Labels are
compared after :func:`hhsurvey.survey.text.normalise` (NFKC, zero-width characters removed,
case folded), in any script: a label in Lao script is compared with the names the codebook
gives each category (``category_labels``), and one that no name covers is reported as not
compared (:func:`uncompared`), never silently passed.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from hhsurvey.survey.text import has_letters, normalise

# Words that carry no meaning for matching ("no" and "not" do: they stay).
STOPWORDS = frozenset({"the", "a", "an", "of", "or", "and", "in", "at", "to", "for", "by", "with"})
# Two words are the same word above this RapidFuzz ratio ("employee"/"employees": 94;
# "male"/"female": 80 and "farm"/"farmer": 80 are not).
SAME_WORD = 90.0


def tokens(text: str) -> list[str]:
    """Normalised words of a label or a canonical name, in any script (``dont_know`` -> dont,
    know; a Lao phrase written without spaces is one word)."""
    text = normalise(text).replace("'", "").replace("\u2019", "").replace("_", " ")
    return [t for t in re.findall(r"[^\W_]+", text) if t not in STOPWORDS]


#: What separates the parts of a bilingual label ("CBHI / ປະກັນສຸຂະພາບຊຸມຊົນ").
LABEL_PARTS = re.compile(r"\s*(?:[/,;:()|\[\]]|\s-\s)\s*")


def name_score(label: str, category: str, names: dict[str, tuple[str, ...]]) -> float:
    """1 when the label, or a part of a bilingual label, is one of the names the codebook
    gives the category (``category_labels``, any script), else 0."""
    known = {normalise(n) for n in names.get(category, ())}
    if not known:
        return 0.0
    parts = {normalise(p) for p in LABEL_PARTS.split(str(label))} | {normalise(label)}
    return 1.0 if known & parts else 0.0


def label_score(label: str, category: str, names: dict[str, tuple[str, ...]] | None) -> float:
    """The better of the word score and the name score of a label for a category."""
    return max(category_score(label, category), name_score(label, category, names or {}))


def uncompared(
    labels: dict[int, str], codes: dict[int, str], names: dict[str, tuple[str, ...]] | None
) -> list[tuple[int, str]]:
    """Codes whose label is written without Latin letters (e.g. in Lao script) and matches no
    category, by word or by name: the check cannot say whether they are right."""
    cats = list(dict.fromkeys(codes.values()))
    out = []
    for code in sorted(codes):
        label = labels.get(code)
        if label is None or not has_letters(label) or re.search("[a-z]", normalise(label)):
            continue
        if not any(label_score(label, c, names) > 0 for c in cats):
            out.append((code, str(label)))
    return out


def _acronyms(words: list[str]) -> set[str]:
    """Initials of every run of two or more consecutive words ('health equity fund' -> hef)."""
    return {
        "".join(w[0] for w in words[i:j])
        for i in range(len(words))
        for j in range(i + 2, len(words) + 1)
    }


def category_score(label: str, category: str) -> float:
    """Share (0-1) of the category's words found in the label; an acronym counts as found."""
    lt, ct = tokens(label), tokens(category)
    if not lt or not ct:
        return 0.0
    acr = _acronyms(lt)
    found = sum(1 for c in ct if c in acr or any(fuzz.ratio(c, t) >= SAME_WORD for t in lt))
    return found / len(ct)


def best_category(label: str, categories: list[str]) -> tuple[str | None, float]:
    """The category whose words the label holds best, with its score (None below 0.5)."""
    # ties go to the category with more words ('no response': no_response, not no)
    scored = sorted(
        ((category_score(label, c), c) for c in categories),
        key=lambda x: (-x[0], -len(tokens(x[1]))),
    )
    if not scored or scored[0][0] < 0.5:
        return None, scored[0][0] if scored else 0.0
    return scored[0][1], scored[0][0]


def label_similarity(a: str, b: str) -> float:
    """Similarity (0-100) of two variable labels or names, word order ignored."""
    if not a or not b:
        return 0.0
    return float(fuzz.token_set_ratio(" ".join(tokens(a)), " ".join(tokens(b))))


def contradictions(
    labels: dict[int, str],
    codes: dict[int, str],
    names: dict[str, tuple[str, ...]] | None = None,
) -> list[tuple[int, str, str]]:
    """Codes whose label in the file names another category of the codebook than its own.

    Returns (code, file label, the category the label names). A code counts only when its own
    category matches the label poorly (< 0.5) and another category of the same variable matches
    it fully, so that wording differences ('no competent member at home' for ``not_at_home``)
    are not contradictions while swapped codes ('Health Equity Fund' on the code mapped to
    ``cbhi``, or its Lao name when ``names`` gives one) are."""
    cats = list(dict.fromkeys(codes.values()))
    out: list[tuple[int, str, str]] = []
    for code, cat in sorted(codes.items()):
        label = labels.get(code)
        if label is None or label_score(label, cat, names) >= 0.5:
            continue
        full = [c for c in cats if c != cat and label_score(label, c, names) >= 1.0]
        if full:
            out.append((code, str(label), full[0]))
    return out
