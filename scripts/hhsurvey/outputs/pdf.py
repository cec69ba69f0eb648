"""The one PDF printer: the reports (A4, with a document outline), the briefs and the summaries,
each printed from the same HTML that readers open, several documents in one browser session.

Why Debian's Chromium driven by Playwright: the HTML pages are written for a browser (CSS print
rules, SVG images as data URIs, Lao script shaped by the embedded font), and the browser that
renders a page on screen is the one that prints it; Chromium's printer writes a document outline
from the headings (``outline=True``) and a tagged, accessible PDF (``tagged=True``). Playwright
only drives the installed browser (``executable_path``: no browser download), offline, with
JavaScript disabled. HTML-to-PDF libraries (WeasyPrint and the like) re-implement layout and would
print a page that differs from the one readers see.

Page furniture (what a photocopied page keeps): Chromium's own header and footer templates
(``display_header_footer`` of ``page.pdf``), filled from ``<meta>`` elements of the page, so the
words stay with the page's language and template: ``hhs-running-head`` (top of every page, e.g.
the simulated-data warning), ``hhs-running-foot`` (title and round, bottom left) and
``hhs-page-label`` (bottom right, ``{page}`` and ``{pages}`` become Chromium's page counters).

Contents with page numbers: a two-pass print. The first print's named destinations (Chromium
writes one for every element a link points to) give the page of each heading the contents list
links to; the page numbers are written into the contents' ``data-toc-page`` slots (which keep a
fixed width, so the layout does not move) and the page is printed again. The pages are read back
with pypdf and checked to be unchanged after the second print.

Links: a relative link of the page (a file written beside the report) is printed by Chromium as
an absolute ``file://`` URI; it is rewritten relative to the PDF's folder, so it opens from the
PDF wherever the folder is moved (and the bytes do not depend on where the run happened).

The page is printed offline: any request other than the page itself and data: URIs is aborted.
The print time written into the PDF is a fixed stamp (:func:`pdf_stamp`), so that reruns give the
same bytes (:func:`reproducible`).
"""

from __future__ import annotations

import bisect
import html as _html
import io
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hhsurvey.errors import InputError

__all__ = [
    "CHROMIUM_ARGS",
    "PrintJob",
    "find_chromium",
    "heading_pages",
    "pdf_stamp",
    "print_documents",
    "print_pdf",
    "relative_links",
    "reproducible",
]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Passes of the contents' page numbers: the second normally settles them.
MAX_TOC_PASSES = 3
#: Style of the running head and foot (Chromium draws them outside the page's CSS).
FURNITURE_STYLE = (
    "font-family:'DejaVu Sans','Noto Sans','Noto Sans Lao',sans-serif;font-size:7.5pt;"
    "color:#333;width:100%;margin:0 {side};-webkit-print-color-adjust:exact;"
)


@dataclass(frozen=True)
class PrintJob:
    """One document to print: *html* to *out*; *outline*: bookmarks and tags (the reports)."""

    html: str | os.PathLike[str]
    out: str | os.PathLike[str]
    outline: bool = True


def find_chromium(configured: str | None = None) -> str:
    """The Chromium executable: the configured path, else ``chromium`` on PATH."""
    for candidate in (configured, shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise InputError(
        "no Chromium browser to print the report with",
        f"report.chromium = {configured!r} and PATH",
        "install Debian's chromium (apt-get install chromium fonts-dejavu-core fonts-lao) "
        "or set report.chromium in config/config.yaml",
    )


def pdf_stamp(date: str, environ: Mapping[str, str] | None = None) -> str:
    """The print time stamped into a PDF (YYYYMMDDHHMMSS, UTC): ``SOURCE_DATE_EPOCH`` if set,
    else midnight of *date* (ISO, config ``report.date``), so that two runs give the same
    bytes."""
    env = os.environ if environ is None else environ
    if env.get("SOURCE_DATE_EPOCH"):
        when = datetime.fromtimestamp(int(env["SOURCE_DATE_EPOCH"]), tz=UTC)
    else:
        when = datetime.fromisoformat(str(date)).replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def print_documents(
    jobs: Sequence[PrintJob],
    chromium: str,
    stamp: str = "19700101000000",
    browser: Any = None,
) -> list[int]:
    """Print every job in one browser session; return the page count of each."""
    if browser is not None:
        return [_print_job(browser, job, stamp) for job in jobs]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            return [_print_job(launched, job, stamp) for job in jobs]
        finally:
            launched.close()


def print_pdf(
    html: str | os.PathLike[str],
    out: str | os.PathLike[str],
    chromium: str,
    browser: Any = None,
    stamp: str = "19700101000000",
    outline: bool = True,
) -> int:
    """Print *html* to *out* (A4, CSS page size, backgrounds, running head and foot); return
    the number of pages. *browser*: an already launched Playwright browser (else Chromium is
    launched and closed). See :func:`print_documents`."""
    return print_documents([PrintJob(html, out, outline)], chromium, stamp, browser)[0]


def _print_job(browser: Any, job: PrintJob, stamp: str) -> int:
    url = Path(job.html).resolve().as_uri()
    context = browser.new_context(offline=True, java_script_enabled=False)
    try:
        context.route(
            "**/*",
            lambda r: (
                r.continue_()
                if r.request.url == url or r.request.url.startswith("data:")
                else r.abort()
            ),
        )
        page = context.new_page()
        page.goto(url, wait_until="load")
        page.evaluate("document.fonts.ready.then(() => true)")
        page.emulate_media(media="print")
        options = _pdf_options(page, job.outline)
        pdf = page.pdf(**options)
        if page.query_selector("[data-toc-page]") is not None:
            pdf = _number_contents(page, pdf, options)
    finally:
        context.close()
    pdf = reproducible(relative_links(pdf, Path(job.out).resolve().parent), stamp)
    Path(job.out).parent.mkdir(parents=True, exist_ok=True)
    Path(job.out).write_bytes(pdf)
    return page_count(pdf)


def _meta(page: Any, name: str) -> str:
    return page.evaluate(
        "(n) => { const m = document.querySelector(`meta[name='${n}']`);"
        " return m ? m.content : ''; }",
        name,
    )


def _pdf_options(page: Any, outline: bool) -> dict[str, Any]:
    """page.pdf() options; the running head and foot from the page's meta elements."""
    head, foot = _meta(page, "hhs-running-head"), _meta(page, "hhs-running-foot")
    label = _meta(page, "hhs-page-label") or "{page} / {pages}"
    side = _meta(page, "hhs-page-side-margin") or "15mm"
    options: dict[str, Any] = {
        "format": "A4",
        "print_background": True,
        "prefer_css_page_size": True,
        "outline": outline,
        "tagged": outline,
    }
    if not (head or foot or _meta(page, "hhs-page-label")):
        return options
    style = FURNITURE_STYLE.format(side=_html.escape(side))
    number = (
        _html.escape(label)
        .replace("{page}", '<span class="pageNumber"></span>')
        .replace("{pages}", '<span class="totalPages"></span>')
    )
    options |= {
        "display_header_footer": True,
        "header_template": (
            f'<div style="{style}text-align:center;font-weight:bold;color:#8a4b00;">'
            f"{_html.escape(head)}</div>"
        ),
        "footer_template": (
            f'<div style="{style}display:flex;justify-content:space-between;gap:4mm;">'
            f"<span>{_html.escape(foot)}</span><span style='white-space:nowrap'>{number}</span>"
            "</div>"
        ),
    }
    return options


def heading_pages(pdf: bytes) -> dict[str, int]:
    """Page (1-based) of each named destination of *pdf*: Chromium names one for every element
    a link of the page points to, by its id."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    out = {}
    for name, dest in reader.named_destinations.items():
        page = reader.get_destination_page_number(dest)
        if page is not None and page >= 0:
            out[str(name).lstrip("/")] = page + 1
    return out


def _number_contents(page: Any, pdf: bytes, options: Mapping[str, Any]) -> bytes:
    """Write each heading's page into the contents' ``data-toc-page`` slots and print again,
    until the pages no longer move (at most :data:`MAX_TOC_PASSES` prints)."""
    pages = heading_pages(pdf)
    for _ in range(MAX_TOC_PASSES - 1):
        page.evaluate(
            "(pages) => { for (const s of document.querySelectorAll('[data-toc-page]'))"
            " s.textContent = pages[s.dataset.tocPage] ?? ''; }",
            {k: str(v) for k, v in pages.items()},
        )
        pdf = page.pdf(**options)
        again = heading_pages(pdf)
        if again == pages:
            return pdf
        pages = again
    raise RuntimeError("the contents' page numbers did not settle after three prints")


def relative_links(pdf: bytes, folder: str | os.PathLike[str]) -> bytes:
    """``file://`` link targets inside *folder* made relative to it (``/URI (files/x.csv)``).
    The strings get shorter, so the cross-reference table is rewritten with every object's
    offset moved by what was removed before it: the bytes do not depend on where the folder
    is (no padding that would keep the length of the absolute path)."""
    prefix = Path(folder).resolve().as_uri().encode("ascii") + b"/"
    pieces, shifts, last, removed = [], [], 0, 0
    for m in re.finditer(rb"/URI \((file://[^()\\]*)\)", pdf):
        target = m.group(1)
        if not target.startswith(prefix):
            continue
        new = b"/URI (" + target[len(prefix) :] + b")"
        pieces += [pdf[last : m.start()], new]
        last = m.end()
        removed += len(m.group(0)) - len(new)
        shifts.append((m.end(), removed))
    if not shifts:
        return pdf
    pieces.append(pdf[last:])
    return _shift_xref(b"".join(pieces), shifts)


def _shift_xref(pdf: bytes, shifts: list[tuple[int, int]]) -> bytes:
    """Rewrite the classic cross-reference table (and ``startxref``) of *pdf*, whose bytes
    before old offset ``end`` shrank by ``removed`` for each ``(end, removed)`` of *shifts*
    (ascending)."""
    ends = [e for e, _ in shifts]

    def moved(offset: int) -> int:
        k = bisect.bisect_right(ends, offset)
        return offset - (shifts[k - 1][1] if k else 0)

    start = pdf.rindex(b"startxref")
    m = re.match(rb"startxref\s+(\d+)", pdf[start:])
    if m is None:
        raise ValueError("no startxref in the printed PDF")
    xref = moved(int(m.group(1)))
    if not pdf.startswith(b"xref", xref):
        raise ValueError("the printed PDF has no classic cross-reference table")

    def entry(e: re.Match) -> bytes:
        if e.group(3) != b"n":
            return e.group(0)
        return b"%010d %s n" % (moved(int(e.group(1))), e.group(2))

    table_end = pdf.index(b"trailer", xref)
    table = re.sub(rb"(\d{10}) (\d{5}) ([nf])", entry, pdf[xref:table_end])
    tail = re.sub(rb"startxref\s+\d+", b"startxref\n%d" % xref, pdf[start:], count=1)
    return pdf[:xref] + table + pdf[table_end:start] + tail


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def reproducible(pdf: bytes, stamp: str) -> bytes:
    """The same bytes for the same page: the print time becomes *stamp* and the DOM node ids
    of the tagged structure are renumbered in order of appearance. Every replacement keeps its
    length, so the cross-reference offsets stay valid."""
    if not re.fullmatch(r"\d{14}", stamp):
        raise ValueError(f"stamp must be YYYYMMDDHHMMSS, not {stamp!r}")
    pdf = re.sub(rb"\(D:\d{14}", b"(D:" + stamp.encode("ascii"), pdf)
    ids: dict[bytes, bytes] = {}

    def renumber(m: re.Match) -> bytes:
        old = m.group(1)
        new = ids.setdefault(old, str(len(ids) + 1).zfill(len(old)).encode("ascii"))
        return b"(node" + new + b")"

    return re.sub(rb"\(node(\d+)\)", renumber, pdf)
