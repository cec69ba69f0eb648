"""The one PDF printer: the report (A4, with a document outline) and the brief, each printed
from the same HTML that readers open.

Why Debian's Chromium driven by Playwright: the HTML report is written for a browser (CSS
print rules, SVG images as data URIs, Lao script shaped by the system fonts), and the browser
that renders it on screen is the one that prints it; Chromium's printer writes a document
outline from the headings (``outline=True``) and a tagged, accessible PDF (``tagged=True``).
Playwright only drives the installed browser (``executable_path``: no browser download), offline,
with JavaScript disabled. HTML-to-PDF libraries (WeasyPrint and the like) re-implement layout and
would print a page that differs from the one readers see.

The page is printed offline: any request other than the page itself and data: URIs is aborted.
The print time written into the PDF is a fixed stamp (:func:`pdf_stamp`), so that reruns give
the same bytes (:func:`reproducible`).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hhsurvey.errors import InputError

__all__ = ["CHROMIUM_ARGS", "find_chromium", "pdf_stamp", "print_pdf", "reproducible"]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


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


def print_pdf(
    html: str | os.PathLike[str],
    out: str | os.PathLike[str],
    chromium: str,
    browser: Any = None,
    stamp: str = "19700101000000",
    outline: bool = True,
) -> int:
    """Print *html* to *out* (A4, CSS page size, backgrounds); return the number of pages.

    The page is opened offline with JavaScript disabled; requests other than the page and
    data: URIs are aborted, and the fonts are loaded before printing. *outline*: a document
    outline from the headings and a tagged, accessible PDF (the report; the two-page brief is
    printed without). *browser*: an already launched Playwright browser to use (else Chromium
    is launched and closed). *stamp* (YYYYMMDDHHMMSS, see :func:`pdf_stamp`) replaces the
    print time, so that reruns are byte-identical."""
    if browser is not None:
        pdf = _print(browser, html, outline)
    else:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            launched = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                pdf = _print(launched, html, outline)
            finally:
                launched.close()
    pdf = reproducible(pdf, stamp)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_bytes(pdf)
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def _print(browser: Any, html: str | os.PathLike[str], outline: bool) -> bytes:
    url = Path(html).resolve().as_uri()
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
        return page.pdf(
            format="A4",
            print_background=True,
            prefer_css_page_size=True,
            outline=outline,
            tagged=outline,
        )
    finally:
        context.close()


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
