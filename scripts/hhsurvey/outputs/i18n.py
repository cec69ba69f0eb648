"""Translation of the brief and the summaries: gettext catalogues (Babel), locale number
formats, the i18n check.

Strings live in ``report/locale``: ``messages.pot`` (the template, English msgids) and one
``<lang>/LC_MESSAGES/messages.po`` per language. The .po files are compiled in memory at run
time (no binary .mo is committed). English needs no catalogue: the msgids are English.

The msgids come from four places, all extracted by :func:`extract`:

* the Jinja templates of the brief and of the summaries, with the partials the reports share
  (``{% trans %}`` blocks and ``_()`` calls, jinja2.ext.i18n): :data:`TEMPLATES`;
* the Python modules that write text (``_()`` / ``gettext()`` / ``N_()`` calls):
  :data:`PY_SOURCES`;
* the words of the configuration: the labels of config/brief.yaml, the statements of
  config/implications.yaml, the round titles and benefit-package labels;
* the catalogue labels (config/indicators.yaml) of the indicators those pages name.

:func:`check` lists every problem that makes ``make i18n-check`` fail: a msgid the sources use
but ``messages.pot`` lacks, and a msgid that a language's .po leaves untranslated, marks fuzzy,
or translates with different ``{placeholders}``. A missing translation falls back to English on
the page, and this check lists it.

Command line: ``python -m hhsurvey.outputs.i18n extract`` rewrites messages.pot and merges it into every
.po; ``python -m hhsurvey.outputs.i18n check`` prints the problems and exits 1 if there are any.
"""

from __future__ import annotations

import gettext as _gettext
import io
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.numbers import format_decimal, parse_decimal
from babel.support import Translations

from hhsurvey.paths import REPO
from hhsurvey.yamlsafe import load_yaml

__all__ = [
    "DOMAIN",
    "LocaleFormat",
    "check",
    "extract",
    "load_translations",
    "parse_number",
    "po_path",
    "review_status",
    "update_catalogues",
]

DOMAIN = "messages"
#: Sources of msgids, relative to the repository.
TEMPLATES = (
    "report/templates/brief.html.j2",
    "report/templates/summary.html.j2",
    "report/templates/_summary.html.j2",
    "report/templates/change_summary.html.j2",
    "report/templates/_change_summary.html.j2",
)
PY_SOURCES = (
    "scripts/hhsurvey/outputs/brief/messages.py",
    "scripts/hhsurvey/outputs/brief/cascade.py",
    "scripts/hhsurvey/outputs/brief/build.py",
    "scripts/hhsurvey/outputs/money.py",
    "scripts/hhsurvey/outputs/implications.py",
    "scripts/hhsurvey/outputs/summary.py",
    "scripts/hhsurvey/outputs/summaries.py",
)
BRIEF_CONFIG = "config/brief.yaml"
CATALOGUE = "config/indicators.yaml"
IMPLICATIONS = "config/implications.yaml"
#: Configuration files whose round titles and benefit-package labels are msgids.
ROUND_CONFIGS = ("config/config.yaml", "config/endline.yaml")
LOCALE_DIR = "report/locale"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
PLACEHOLDER = re.compile(r"\{(\w+)\}|%\((\w+)\)s")


def placeholders(text: str) -> set[str]:
    """Named placeholders of a message: ``{name}`` (str.format) and ``%(name)s`` (Jinja)."""
    return {a or b for a, b in PLACEHOLDER.findall(text)}


def po_path(locale_dir: str | Path, lang: str) -> Path:
    return Path(locale_dir) / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_translations(locale_dir: str | Path, lang: str) -> _gettext.NullTranslations:
    """The gettext translations of *lang*, compiled from its .po in memory.

    English (the msgid language) gets null translations. A fuzzy or empty entry is left out by
    Babel's compiler, so its English msgid shows: the fallback the i18n check reports.
    """
    if lang == "en":
        return _gettext.NullTranslations()
    path = po_path(locale_dir, lang)
    if not path.is_file():
        from hhsurvey.errors import InputError

        raise InputError(
            f"no translation catalogue for language '{lang}'",
            str(path),
            "add the language as docs/i18n.md explains, or remove it from report.languages",
        )
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def review_status(locale_dir: str | Path, lang: str) -> str:
    """``reviewed`` when the .po header comment has ``Review-Status: reviewed``, else ``draft``.

    A translator who has reviewed the catalogue changes that line (docs/i18n.md); until then
    the brief prints "Draft translation, not yet reviewed" in the language and in English.
    """
    if lang == "en":
        return "reviewed"
    with po_path(locale_dir, lang).open("rb") as fh:
        header = read_po(fh, locale=lang).header_comment
    m = re.search(r"Review-Status:\s*(\w+)", header)
    return "reviewed" if m and m.group(1).lower() == "reviewed" else "draft"


class LocaleFormat:
    """Numbers in the conventions of a locale (Babel CLDR data): decimal and group marks."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.locale = Locale.parse(lang)

    def number(self, x: float, decimals: int = 0) -> str:
        pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
        return format_decimal(x, format=pattern, locale=self.locale)

    def percent(self, p: float, decimals: int = 1) -> str:
        """A proportion (0-1) as a percentage, e.g. 0.0712 -> "7.1%" (en), "7,1%" (lo)."""
        return self.number(100.0 * p, decimals) + "%"


def parse_number(text: str, lang: str) -> float:
    """Read back a number written by :class:`LocaleFormat` (a trailing % is dropped)."""
    return float(parse_decimal(text.strip().rstrip("%").strip(), locale=Locale.parse(lang)))


def _brief_msgids(repo: Path) -> Iterable[tuple[str, str]]:
    """(msgid, where) of the configuration's words the translated pages show: the labels of
    config/brief.yaml, the titles and texts of config/implications.yaml, the round titles and
    package labels of the round configurations, and the catalogue labels of the indicators
    the brief, the key findings, the scenarios and the statements name."""
    spec = load_yaml((repo / BRIEF_CONFIG).read_text(encoding="utf-8"), str(BRIEF_CONFIG))
    for g in spec["cascade"]["groups"]:
        yield g["label"], BRIEF_CONFIG
    ids: list[str] = list(spec["tiles"])
    for s in spec["cascade"]["steps"]:
        yield s["label"], BRIEF_CONFIG
        yield s["base"], BRIEF_CONFIG
        if s["indicator"]:
            ids.append(s["indicator"])
    msg = spec["messages"]
    for rule in ("size", "quintile_gradient", "insurance_gap", "national"):
        ids += list(msg.get(rule, []))
    if spec.get("scenario"):
        ids.append(spec["scenario"]["indicator"])
    rules_path = repo / IMPLICATIONS
    if rules_path.is_file():
        for rule in load_yaml(rules_path.read_text(encoding="utf-8"), str(IMPLICATIONS))[
            "statements"
        ]:
            yield " ".join(rule["title"].split()), IMPLICATIONS
            yield " ".join(rule["text"].split()), IMPLICATIONS
            for cond in rule["when"]:
                for key in ("difference", "estimate", "scenario"):
                    if key in cond:
                        ids.append(cond[key]["indicator"])
    for rel in ROUND_CONFIGS:
        if not (repo / rel).is_file():
            continue
        cfg = load_yaml((repo / rel).read_text(encoding="utf-8"), str(rel)) or {}
        for r in (cfg.get("rounds") or {}).values():
            if r.get("title"):
                yield str(r["title"]), rel
        for p in (cfg.get("scenarios") or {}).get("packages") or []:
            yield str(p["label"]), rel
    cat = load_yaml((repo / CATALOGUE).read_text(encoding="utf-8"), str(CATALOGUE))["indicators"]
    labels = {e["id"]: e["label"] for e in cat}
    ids += [e["id"] for e in cat if e.get("key_rank") is not None]
    for iid in dict.fromkeys(ids):
        if iid in labels:
            yield labels[iid], CATALOGUE


def extract(repo: str | Path = REPO) -> Catalog:
    """Every msgid the brief uses, as a Babel catalogue (the content of messages.pot)."""
    repo = Path(repo)
    catalog = Catalog(project="hhsurvey brief", fuzzy=False)
    for rel in TEMPLATES:
        found = extract_from_file(
            "jinja2.ext:babel_extract",
            str(repo / rel),
            keywords=KEYWORDS,
            options={"extensions": "jinja2.ext.i18n", "trimmed": "true"},
        )
        for lineno, message, comments, context in found:
            catalog.add(message, locations=[(rel, lineno)], auto_comments=comments, context=context)
    for rel in PY_SOURCES:
        if not (repo / rel).is_file():
            continue
        for lineno, message, comments, context in extract_from_file(
            "python", str(repo / rel), keywords=KEYWORDS
        ):
            catalog.add(message, locations=[(rel, lineno)], auto_comments=comments, context=context)
    for message, where in _brief_msgids(repo):
        catalog.add(message, locations=[(where, 0)])
    return catalog


def _ids(catalog: Catalog) -> set[Any]:
    return {m.id for m in catalog if m.id}


def _read(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def languages(locale_dir: Path) -> list[str]:
    return sorted(p.parent.parent.name for p in locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def check(
    repo: str | Path = REPO,
    catalogue_of: Mapping[str, Catalog] | None = None,
) -> list[str]:
    """Problems of the translation catalogues (an empty list means all is well).

    *catalogue_of* maps a language to its catalogue instead of reading the .po files (tests).
    """
    repo = Path(repo)
    locale_dir = repo / LOCALE_DIR
    used = extract(repo)
    problems: list[str] = []
    pot_path = locale_dir / f"{DOMAIN}.pot"
    pot = _read(pot_path) if pot_path.is_file() else Catalog()
    for mid in sorted(_ids(used) - _ids(pot), key=str):
        problems.append(
            f"{pot_path.relative_to(repo)}: string used by the brief but missing from the "
            f"template: {mid!r} (run `make i18n-extract`)"
        )
    catalogues = dict(catalogue_of or {})
    for lang in languages(locale_dir):
        catalogues.setdefault(lang, _read(po_path(locale_dir, lang), lang))
    for lang, cat in sorted(catalogues.items()):
        where = po_path(LOCALE_DIR, lang)
        for mid in sorted(_ids(used), key=str):
            m = cat.get(mid)
            text = mid if isinstance(mid, str) else mid[0]
            if m is None:
                problems.append(f"{where}: missing {text!r} (run `make i18n-extract`)")
            elif not m.string or (isinstance(m.string, tuple) and not all(m.string)):
                problems.append(f"{where}: untranslated {text!r}")
            elif m.fuzzy:
                problems.append(f"{where}: fuzzy (needs review) {text!r}")
            else:
                strings = m.string if isinstance(m.string, tuple) else (m.string,)
                want = placeholders(text)
                for s in strings:
                    if placeholders(s) != want:
                        problems.append(
                            f"{where}: placeholders of {text!r} differ in the translation "
                            f"({sorted(want)} vs {sorted(placeholders(s))})"
                        )
    return problems


def update_catalogues(repo: str | Path = REPO) -> list[Path]:
    """Write messages.pot from the sources and merge it into every language's .po."""
    repo = Path(repo)
    locale_dir = repo / LOCALE_DIR
    pot = extract(repo)
    locale_dir.mkdir(parents=True, exist_ok=True)
    written = [locale_dir / f"{DOMAIN}.pot"]
    with written[0].open("wb") as fh:
        write_po(fh, pot, omit_header=False, sort_output=False, width=100)
    for lang in languages(locale_dir):
        path = po_path(locale_dir, lang)
        cat = _read(path, lang)
        cat.update(pot, no_fuzzy_matching=True)
        with path.open("wb") as fh:
            write_po(fh, cat, width=100, ignore_obsolete=True)
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    if argv[:1] == ["extract"]:
        for p in update_catalogues():
            print(f"wrote {p.relative_to(REPO)}")
        return 0
    if argv[:1] == ["check"]:
        problems = check()
        for p in problems:
            print(p)
        if problems:
            print(f"i18n check: {len(problems)} problem(s); see docs/i18n.md")
            return 1
        print("i18n check: every string of the brief and the summaries is translated")
        return 0
    print("usage: python -m hhsurvey.outputs.i18n extract|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
