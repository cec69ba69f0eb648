"""The report as an A4 PDF with a document outline, printed from the same HTML.

Why Debian's Chromium driven by Playwright: the HTML report is written for a browser (CSS
print rules, SVG images as data URIs, Lao script shaped by the system fonts), and the browser
that renders it on screen is the one that prints it; Chromium's printer writes a document
outline from the headings (``outline=True``) and a tagged, accessible PDF (``tagged=True``).
Playwright only drives the installed browser (``executable_path``: no browser download), offline,
with JavaScript disabled. HTML-to-PDF libraries (WeasyPrint and the like) re-implement layout and
would print a page that differs from the one readers see.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

from hhsurvey.errors import InputError

__all__ = ["CHROMIUM_ARGS", "find_chromium", "print_pdf", "reproducible"]

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


def print_pdf(
    html: str | os.PathLike[str],
    out: str | os.PathLike[str],
    chromium: str,
    browser: Any = None,
    stamp: str = "19700101000000",
) -> int:
    """Print *html* to *out* (A4, CSS page size, backgrounds, outline, tagged); return the
    number of pages. The page is opened offline with JavaScript disabled. *browser*: an
    already launched Playwright browser to use (else Chromium is launched and closed).
    *stamp* (YYYYMMDDHHMMSS) replaces the print time, so that reruns are byte-identical."""
    if browser is not None:
        pdf = _print(browser, html)
    else:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            launched = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                pdf = _print(launched, html)
            finally:
                launched.close()
    pdf = reproducible(pdf, stamp)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_bytes(pdf)
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def _print(browser: Any, html: str | os.PathLike[str]) -> bytes:
    context = browser.new_context(offline=True, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(Path(html).resolve().as_uri(), wait_until="load")
        return page.pdf(
            format="A4",
            print_background=True,
            prefer_css_page_size=True,
            outline=True,
            tagged=True,
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
