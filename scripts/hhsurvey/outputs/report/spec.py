"""The report as data: the catalogue's presentation fields and ``config/report.yaml``.

The catalogue (``config/indicators.yaml``) says, per indicator, its ``section``, the breakdowns
shown (``show_by``), its rank among the key findings (``key_rank``), the figures that draw it
(``plot``), its definition in words (``description``) and the questionnaire category it needs
(``instrument``). ``config/report.yaml`` holds the sections (order, kind, title, introduction,
figures, blocks) and the one figure registry (name -> builder, report, title, alt text).
Nothing here chooses by id prefix: adding an indicator to a section is a catalogue edit only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hhsurvey.catalogue.model import Indicator
from hhsurvey.catalogue.model import load_catalogue as _load_entries
from hhsurvey.catalogue.national import INDICATOR_UNITS
from hhsurvey.errors import InputError
from hhsurvey.paths import REPO
from hhsurvey.yamlsafe import load_yaml

__all__ = [
    "DEFAULT_SPEC",
    "Catalogue",
    "FigureSpec",
    "ReportSpec",
    "SectionSpec",
    "load_catalogue",
    "load_report_spec",
    "missing_in_instrument",
    "round_categories",
]

#: The report spec of this checkout (rules pass it as an input; tests may pass another).
DEFAULT_SPEC = REPO / "config" / "report.yaml"

#: Units of national figures (:data:`INDICATOR_UNITS`) as catalogue units, for ids outside the
#: catalogue.
_FALLBACK_UNITS = {"fraction": "percent", "index": "index"}


@dataclass(frozen=True)
class FigureSpec:
    name: str
    builder: str
    report: str
    title: str
    alt: str


@dataclass(frozen=True)
class SectionSpec:
    key: str
    kind: str
    title: str
    intro: str = ""
    annex: bool = False
    template: str = ""
    figures: tuple[tuple[str, str], ...] = ()  # (name, caption)
    blocks: tuple[str, ...] = ()
    notes: Mapping[str, str] = field(default_factory=dict)  # indicator id -> note


@dataclass(frozen=True)
class ReportSpec:
    sections: tuple[SectionSpec, ...]
    figures: Mapping[str, FigureSpec]

    def section(self, key: str) -> SectionSpec | None:
        return next((s for s in self.sections if s.key == key), None)

    def figure_names(self, report: str = "round") -> list[str]:
        """Figures of one report (``round`` or ``change``), in registry order."""
        return [n for n, f in self.figures.items() if f.report == report]

    @property
    def indicator_sections(self) -> list[str]:
        return [s.key for s in self.sections if s.kind == "indicators"]


def load_report_spec(path: str | os.PathLike[str]) -> ReportSpec:
    """Read config/report.yaml (validated by workflow/schemas/report.schema.yaml in the
    workflow); cross-references are checked here, each with what/where/how."""
    try:
        with open(path, encoding="utf-8") as fh:
            doc = load_yaml(fh.read(), str(path)) or {}
    except FileNotFoundError:
        raise InputError(
            "the report spec is missing", str(path), "restore config/report.yaml"
        ) from None
    figures = {
        str(name): FigureSpec(
            name=str(name),
            builder=str(f["builder"]),
            report=str(f.get("report", "round")),
            title=str(f["title"]),
            alt=" ".join(str(f["alt"]).split()),
        )
        for name, f in (doc.get("figures") or {}).items()
    }
    sections = []
    seen: set[str] = set()
    for s in doc.get("sections") or []:
        key = str(s["key"])
        if key in seen:
            raise InputError(
                f"section key '{key}' is used twice", str(path), "give each section its own key"
            )
        seen.add(key)
        figs = []
        for f in s.get("figures") or []:
            if f["name"] not in figures:
                raise InputError(
                    f"section '{key}' shows figure '{f['name']}', which the registry lacks",
                    str(path),
                    f"add it under `figures:` or use one of {sorted(figures)}",
                )
            figs.append((str(f["name"]), " ".join(str(f.get("caption", "")).split())))
        sections.append(
            SectionSpec(
                key=key,
                kind=str(s["kind"]),
                title=str(s["title"]),
                intro=" ".join(str(s.get("intro", "")).split()),
                annex=bool(s.get("annex", False)),
                template=str(s.get("template", "")),
                figures=tuple(figs),
                blocks=tuple(s.get("blocks") or ()),
                notes={str(k): " ".join(str(v).split()) for k, v in (s.get("notes") or {}).items()},
            )
        )
    if not sections:
        raise InputError("the report spec has no sections", str(path), "see config/report.yaml")
    return ReportSpec(sections=tuple(sections), figures=figures)


@dataclass
class Catalogue:
    """The indicator catalogue as the reports read it, in catalogue order."""

    entries: list[Indicator]
    by_id: dict[str, Indicator] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {e.id: e for e in self.entries}

    def label(self, iid: str, default: str = "") -> str:
        e = self.by_id.get(iid)
        return e.label if e is not None else (default or iid)

    def unit(self, iid: str) -> str:
        """Catalogue unit; for an id outside the catalogue, the unit of its national figures."""
        e = self.by_id.get(iid)
        if e is not None:
            return e.unit
        return _FALLBACK_UNITS.get(INDICATOR_UNITS.get(iid, ""), "")

    def section_of(self, iid: str, spec: ReportSpec) -> str:
        """The catalogue's section if the spec has it as an indicator section, else "other"
        (or the last indicator section when the spec has no "other")."""
        e = self.by_id.get(iid)
        keys = spec.indicator_sections
        key = e.section if e is not None else "other"
        if key in keys:
            return key
        return "other" if "other" in keys else keys[-1]

    def key_findings(self) -> list[str]:
        """Ids with a ``key_rank``, by rank (catalogue order breaks ties)."""
        ranked = [e for e in self.entries if e.key_rank is not None]
        return [e.id for e in sorted(ranked, key=lambda e: e.key_rank)]

    def plotted(self, figure: str) -> list[str]:
        """Ids whose ``plot`` names *figure*, in catalogue order."""
        return [e.id for e in self.entries if figure in e.plot]

    def check(self, spec: ReportSpec, path: str) -> None:
        """Every section, breakdown and figure the catalogue names exists."""
        keys = spec.indicator_sections
        for e in self.entries:
            if e.section not in keys:
                raise InputError(
                    f"indicator '{e.id}' names section '{e.section}', which config/report.yaml "
                    "has not as an indicators section",
                    path,
                    f"use one of {keys}",
                )
            extra = [b for b in e.show_by if b not in e.by]
            if extra:
                raise InputError(
                    f"indicator '{e.id}' shows breakdown(s) {extra} it does not estimate",
                    path,
                    "add them to `by:` or remove them from `show_by:`",
                )
            unknown = [f for f in e.plot if f not in spec.figures]
            if unknown:
                raise InputError(
                    f"indicator '{e.id}' is plotted in unknown figure(s) {unknown}",
                    path,
                    f"use figures of config/report.yaml: {sorted(spec.figures)}",
                )


def load_catalogue(path: str | os.PathLike[str]) -> Catalogue:
    return Catalogue(_load_entries(str(path)))


def round_categories(codebook_path: str | os.PathLike[str] | None) -> dict[str, set[str]]:
    """Column -> the canonical categories a round's codebook declares (every table)."""
    if not codebook_path:
        return {}
    from hhsurvey.survey.codebook.model import categories, load_codebook

    book = load_codebook(codebook_path)
    out: dict[str, set[str]] = {}
    for tname, table in book.tables.items():
        for cname, col in table.columns.items():
            if col.type == "category":
                out.setdefault(cname, set()).update(categories(book, tname, cname))
    return out


def missing_in_instrument(catalogue: Catalogue, categories: Mapping[str, set[str]]) -> set[str]:
    """Ids whose ``instrument`` category the round's codebook does not offer."""
    if not categories:
        return set()
    out = set()
    for e in catalogue.entries:
        inst = e.instrument or {}
        var, cat = inst.get("variable"), inst.get("category")
        if var and cat and cat not in categories.get(str(var), set()):
            out.add(e.id)
    return out


def figure_ids(catalogue: Catalogue, names: Sequence[str]) -> dict[str, list[str]]:
    """Figure name -> the catalogue ids it draws."""
    return {n: catalogue.plotted(n) for n in names}
