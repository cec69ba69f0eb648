"""What a reader of a printed page checks, read back from the PDF with poppler (pdftotext,
pdftoppm, pdffonts) and pypdf, independently of the printer's own code:

- page furniture: every page's text holds its page number ("Page 3 of 12", or the Lao
  "ໜ້າ 3 ຈາກ 12") and, for simulated data, "SIMULATED";
- the contents: the page number printed beside each entry is the page its heading prints on
  (found by scanning the pages' text in section order);
- links: every link target of the PDF is a relative file name that exists beside it;
- machine artefacts: no page holds a brace, a repository path or a configuration key;
- layout: pages less than three quarters full are the last page of a section, and no table
  caption is left at the foot of a page.
"""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from pdf_tools import page_fill

PAGE_NUMBER = re.compile(r"(?:Page|ໜ້າ)\s+(\d+)\s+(?:of|ຈາກ)\s+(\d+)")
ARTEFACTS = ("{", "}", "docs/", ".smk", ".yaml", "limit 130")
#: Margins of the report's page body (report.css @page), which hold the running head and foot.
REPORT_MARGINS = {"top_mm": 16.0, "bottom_mm": 15.0}


def texts(pdf: str | Path, layout: bool = False) -> list[str]:
    """Text of each page (pdftotext; raw content order unless *layout*)."""
    mode = "-layout" if layout else "-raw"
    out = subprocess.run(
        ["pdftotext", mode, str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def words(text: str) -> str:
    return " ".join(text.split())


def furniture_problems(pdf: str | Path, simulated: bool) -> list[str]:
    """Pages whose text lacks their own page number (of the right total) or "SIMULATED"."""
    pages = texts(pdf)
    out = []
    for i, t in enumerate(pages, start=1):
        numbers = {(int(a), int(b)) for a, b in PAGE_NUMBER.findall(t)}
        if (i, len(pages)) not in numbers:
            out.append(f"{Path(pdf).name} page {i}: no 'page {i} of {len(pages)}'")
        if simulated and "SIMULATED" not in t:
            out.append(f"{Path(pdf).name} page {i}: no SIMULATED")
    return out


class _Toc(HTMLParser):
    """The contents list of a report: (anchor, title) of each entry with a page slot."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.entries: list[list[str]] = []
        self._in: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and (a.get("href") or "").startswith("#"):
            self._in = [a["href"][1:], ""]

    def handle_endtag(self, tag):
        if tag == "a" and self._in is not None:
            self.entries.append(self._in)
            self._in = None

    def handle_data(self, data):
        if self._in is not None:
            self._in[1] += data


def toc_entries(html: str) -> list[tuple[str, str]]:
    nav = html[html.index('<nav class="toc"') : html.index("</nav>")]
    return [(k, words(t)) for k, t in _Toc(nav).entries]


def toc_mismatches(pdf: str | Path, html: str) -> list[str]:
    """Entries whose printed page number is missing or differs from the page their heading
    prints on (the first page, in section order, whose text holds the title)."""
    pages = [words(t) for t in texts(pdf)]
    contents = next(i for i, t in enumerate(pages) if "Contents" in t)
    out, start = [], contents

    def holds(i: int, title: str) -> bool:
        # the contents page holds every title once in the list itself
        return pages[i].count(title) >= (2 if i == contents else 1)

    for _, title in toc_entries(html):
        m = re.search(re.escape(title) + r"\s+(\d+)", pages[contents])
        if m is None:
            out.append(f"{title!r}: no page number in the contents")
            continue
        printed = int(m.group(1))
        found = next((i + 1 for i in range(start, len(pages)) if holds(i, title)), None)
        if found != printed:
            out.append(f"{title!r}: contents say page {printed}, the heading is on {found}")
        if found:
            start = found - 1
    return out


def link_targets(pdf: str | Path) -> list[str]:
    """The URI of every link annotation of the PDF (pypdf)."""
    import pypdf

    out = []
    for page in pypdf.PdfReader(str(pdf)).pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None and action.get("/S") == "/URI":
                out.append(str(action["/URI"]))
    return out


def broken_links(pdf: str | Path) -> list[str]:
    """Link targets that are not relative names of files existing beside the PDF."""
    folder = Path(pdf).parent
    return [
        u
        for u in link_targets(pdf)
        if re.match(r"^[a-z]+:", u) or u.startswith("/") or not (folder / u).is_file()
    ]


def artefacts(pdf: str | Path) -> list[str]:
    return [
        f"page {i}: {a!r}" for i, t in enumerate(texts(pdf), start=1) for a in ARTEFACTS if a in t
    ]


def section_starts(pdf: str | Path) -> dict[str, int]:
    """Page (1-based) of each named destination (the headings the contents link to)."""
    import pypdf

    reader = pypdf.PdfReader(str(pdf))
    return {
        str(k).lstrip("/"): reader.get_destination_page_number(v) + 1
        for k, v in reader.named_destinations.items()
    }


def short_pages(pdf: str | Path, min_fill: float = 0.75) -> list[tuple[int, float]]:
    """Pages less than *min_fill* full that are not the last page of a section (the page
    before one on which a section of the contents starts) nor the document's last."""
    fills = page_fill(pdf, **REPORT_MARGINS)
    allowed = {p - 1 for p in section_starts(pdf).values()} | {len(fills)}
    return [
        (i, round(f, 2)) for i, f in enumerate(fills, start=1) if f < min_fill and i not in allowed
    ]


def captions(html: str) -> list[str]:
    """Captions of the tables that print (not those the print stylesheet hides)."""
    found = re.findall(r'<table class="([^"]*)"[^>]*>\s*<caption>(.*?)</caption>', html, re.S)
    return [words(re.sub(r"<[^>]+>", "", c)) for cls, c in found if "screen-only" not in cls]


def caption_stubs(pdf: str | Path, html: str, lines: int = 3) -> list[str]:
    """Table captions among the last *lines* text lines of a page (above the running foot):
    a table stub at the page foot."""
    out = []
    heads = [c[:90] for c in captions(html) if len(c) >= 12]
    for i, t in enumerate(texts(pdf), start=1):
        body = [
            x.strip()
            for x in t.splitlines()
            if x.strip() and "SIMULATED DATA" not in x and not PAGE_NUMBER.search(x)
        ]
        tail = words(" ".join(body[-lines:]))
        out += [f"page {i}: table {c!r} starts at the foot" for c in heads if c in tail]
    return out


def lao_font_embedded(pdf: str | Path) -> bool:
    """pdffonts lists an embedded Noto Sans Lao (the page's Lao glyphs come from it)."""
    out = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    return any("NotoSansLao" in line and " yes " in line for line in out.splitlines())
