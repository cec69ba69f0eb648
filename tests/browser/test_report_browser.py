"""The report in a real browser: Debian's Chromium driven by Playwright (no browser download).

Checks: no console error, no request leaves the page, every image loads, the page prints to an
A4 PDF, hostile survey text stays text (no dialog, no injected element) and Lao renders with a
font that has Lao glyphs. Screenshots and PDFs go to tests/artifacts/ (git-ignored).
Run with ``pytest -m browser``; needs ``chromium`` (``apt-get install chromium fonts-dejavu-core``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from demo_config import figures
from testpaths import TESTS  # noqa: E402

HERE = TESTS
REPO = HERE.parent
ARTIFACTS = HERE / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser

import roundfixture as rf  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    from playwright import sync_api

    assert Path(CHROMIUM).exists(), (
        "Debian chromium is needed: apt-get install chromium (make does: envs/install_debian.sh)"
    )
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class Visit:
    """Open a report file and record console messages, errors, requests and dialogs."""

    def __init__(self, browser, html: Path) -> None:
        self.url = html.resolve().as_uri()
        self.context = browser.new_context(
            viewport={"width": 1024, "height": 1366}, offline=True, java_script_enabled=True
        )
        self.page = self.context.new_page()
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        self.context.route("**/*", self._route)
        self.page.goto(self.url, wait_until="load")

    def _dialog(self, d) -> None:
        self.dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    def _route(self, route) -> None:
        url = route.request.url
        if url == self.url or url.startswith("data:"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def fixture_report(tmp_path_factory):
    return rf.render(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    return rf.render(
        tmp_path_factory.mktemp("hostile_browser"),
        villages=rf.HOSTILE_VILLAGES,
        scheme_other=rf.HOSTILE_SCHEME,
        reason_other=rf.HOSTILE_REASON,
    )


@pytest.fixture(params=["fixture", "demo"])
def report_file(request, fixture_report):
    if request.param == "demo":
        # the demo report built by the whole workflow (session fixture in conftest.py)
        return "demo", request.getfixturevalue("demo_run") / "results" / "report" / "baseline.html"
    return "fixture", fixture_report


def test_report_loads_offline_prints_and_is_captured(browser, artifacts, report_file):
    name, html = report_file
    v = Visit(browser, html)
    try:
        page = v.page
        errors = [m for m in v.console if m[0] == "error"]
        assert not errors, errors
        assert not v.errors, v.errors
        assert not v.blocked, f"requests left the page: {v.blocked}"
        assert all(u == v.url or u.startswith("data:") for u in v.requests), v.requests
        assert not v.dialogs
        images = page.evaluate(
            "() => [...document.images].map(i => [i.complete, i.naturalWidth, i.alt.length,"
            " i.getAttribute('src').slice(0, 26)])"
        )
        # every round figure of config/report.yaml (the demo adds the cascade and scenarios)
        assert len(images) >= len(figures("round"))
        for complete, width, alt, src in images:
            assert complete and width > 0 and alt > 40 and src == "data:image/svg+xml;base64,"
        assert page.evaluate("() => document.documentElement.lang") == "en"
        assert page.evaluate("() => document.querySelectorAll('script').length") == 0
        banner = page.query_selector("#synthetic-banner")
        if banner is not None:  # simulated data: said on the first screen
            box = banner.bounding_box()
            assert box and box["y"] + box["height"] < 1366 and banner.is_visible()
        page.screenshot(path=str(artifacts / f"report_{name}_first_screen.png"))
        page.screenshot(path=str(artifacts / f"report_{name}_full.png"), full_page=True)
        page.emulate_media(media="print")
        pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
        assert pdf.startswith(b"%PDF-")
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert pages >= 5, pages
        (artifacts / f"report_{name}.pdf").write_bytes(pdf)
        assert not v.blocked and not [m for m in v.console if m[0] == "error"]
    finally:
        v.close()


@pytest.fixture(scope="module")
def change_report(tmp_path_factory):
    import changefixture

    from hhsurvey.outputs.change_report import render_change_report

    dest = tmp_path_factory.mktemp("change_browser")
    out = dest / "change.html"
    render_change_report(**changefixture.write_change(dest), out=str(out), environ={})
    return out


def test_change_report_loads_offline_and_prints(browser, artifacts, change_report):
    """change.html: no console error or request, the chart loads, tables keep their columns
    and the page prints to A4."""
    v = Visit(browser, change_report)
    try:
        page = v.page
        assert not [m for m in v.console if m[0] == "error"] and not v.errors
        assert not v.blocked and not v.dialogs
        images = page.evaluate(
            "() => [...document.images].map(i => [i.complete, i.naturalWidth, i.alt.length])"
        )
        assert len(images) == 1 and images[0][0] and images[0][1] > 0 and images[0][2] > 200
        widths = page.evaluate(
            "() => [...document.querySelectorAll('table.chg')].map("
            "t => [t.getBoundingClientRect().width, t.parentElement.getBoundingClientRect().width])"
        )
        assert widths and all(w <= pw + 1 for w, pw in widths), widths  # no table overflows
        banner = page.query_selector("#synthetic-banner").bounding_box()
        assert banner and banner["y"] + banner["height"] < 1366
        page.screenshot(path=str(artifacts / "change_fixture_first_screen.png"))
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 680, "height": 1000})  # A4 text width, 180 mm
        overflow = page.evaluate(
            "() => [...document.querySelectorAll('table')].filter("
            "t => t.scrollWidth > t.parentElement.clientWidth + 1).map(t => t.id)"
        )
        assert overflow == [], overflow
        pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
        assert pdf.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 5
        (artifacts / "change_fixture.pdf").write_bytes(pdf)
    finally:
        v.close()


def _lao_fonts() -> set[str]:
    """Font families fontconfig says cover Lao (fontconfig is installed by envs/install_debian.sh)."""
    fc = shutil.which("fc-list")
    assert fc, (
        "fontconfig is needed: apt-get install fontconfig fonts-dejavu-core (make does: envs/install_debian.sh)"
    )
    out = subprocess.run([fc, ":lang=lo", "family"], capture_output=True, text=True, check=False)
    return {f.strip() for line in out.stdout.splitlines() for f in line.split(",") if f.strip()}


def test_hostile_survey_text_stays_text(browser, artifacts, hostile_report):
    v = Visit(browser, hostile_report)
    try:
        page = v.page
        assert not v.dialogs, v.dialogs
        assert not v.blocked, v.blocked
        assert not [m for m in v.console if m[0] == "error"], v.console
        assert not v.errors
        found = page.evaluate(
            """() => ({
                scripts: document.querySelectorAll('script').length,
                iframes: document.querySelectorAll('iframe, object, embed, svg, b').length,
                onattrs: [...document.querySelectorAll('*')].flatMap(
                    e => [...e.attributes].map(a => a.name)).filter(n => n.startsWith('on')),
                badimg: [...document.images].filter(
                    i => !i.getAttribute('src').startsWith('data:image/svg+xml')).length,
            })"""
        )
        assert found == {"scripts": 0, "iframes": 0, "onattrs": [], "badimg": 0}
        # the village names are in the villages file beside the page, as text
        import pandas as pd

        villages = pd.read_csv(
            hostile_report.parent / f"{hostile_report.stem}_files" / "villages.csv", dtype=str
        ).set_index("village")
        for code, en, lo, _ in rf.HOSTILE_VILLAGES:
            assert villages.loc[str(code), "name"] == en
            assert villages.loc[str(code), "name_lao"] == lo
        answers = page.eval_on_selector_all(
            "#scheme-other td.verbatim, #reason-other td.verbatim",
            "cells => cells.map(c => c.textContent)",
        )
        assert set(answers) == set(rf.HOSTILE_SCHEME) | set(rf.HOSTILE_REASON)

        # Lao renders as Lao: the text is drawn with a font that has Lao glyphs.
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        lao_cell = '#scheme-other td.verbatim[lang="lo"]'
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": lao_cell})["nodeId"]
        assert page.inner_text(lao_cell) == "ປະກັນສັງຄົມ"
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        assert fonts and sum(f["glyphCount"] for f in fonts) >= len("ປະກັນສັງຄົມ")
        lao = _lao_fonts()
        used = {f["familyName"] for f in fonts}
        assert lao and used <= lao, f"Lao drawn with {used}; fonts with Lao glyphs: {sorted(lao)}"
        row = page.query_selector(lao_cell)
        row.scroll_into_view_if_needed()
        row.screenshot(path=str(artifacts / "report_lao_answer.png"))
        page.screenshot(path=str(artifacts / "report_hostile_first_screen.png"))
    finally:
        v.close()


# --------------------------------------------------------------------------- the printed PDF

from pdf_tools import outline_titles, page_fill, page_texts  # noqa: E402

from hhsurvey.outputs.report.spec import DEFAULT_SPEC, load_report_spec  # noqa: E402

SPEC = load_report_spec(DEFAULT_SPEC)


def _section_titles(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", t).strip() for t in re.findall(r"<h2>(.*?)</h2>", html)]


def _check_printed(pdf_path: Path, html_path: Path) -> dict:
    """Bookmarks for every section; every page numbered and marked simulated; the contents'
    page numbers those of the headings; no page less than three quarters full but a section's
    last; no table caption at a page foot."""
    from printed import caption_stubs, furniture_problems, short_pages, toc_mismatches

    pdf = pdf_path.read_bytes()
    html = html_path.read_text(encoding="utf-8")
    titles = outline_titles(pdf)
    sections = [t for t in _section_titles(html) if t != "Contents"]
    missing = [t for t in sections if t.replace("&amp;", "&") not in titles]
    assert not missing, f"sections without a bookmark: {missing}"
    assert furniture_problems(pdf_path, simulated=True) == []
    assert toc_mismatches(pdf_path, html) == []
    assert short_pages(pdf_path) == [], page_fill(pdf_path)
    assert caption_stubs(pdf_path, html) == []
    return {"pages": len(page_texts(pdf_path))}


def test_fixture_report_prints_with_bookmarks_furniture_and_contents(
    browser, fixture_report, artifacts
):
    from hhsurvey.outputs.pdf import print_pdf

    out = fixture_report.parent / "report_fixture_outline.pdf"
    pages = print_pdf(fixture_report, out, CHROMIUM, browser=browser)
    assert pages > 5
    got = _check_printed(out, fixture_report)
    assert got["pages"] == pages
    shutil.copy(out, artifacts / out.name)


@pytest.mark.slow
def test_demo_report_pdf_from_the_workflow(demo_run, browser):
    """results/report/baseline.pdf: bookmarks, furniture, contents, layout (tests/support/
    printed.py), and every figure of the HTML it was printed from loads."""
    html = demo_run / "results" / "report" / "baseline.html"
    pdf = demo_run / "results" / "report" / "baseline.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    _check_printed(pdf, html)
    v = Visit(browser, html)
    try:
        images = v.page.evaluate(
            "() => [...document.images].map(i => i.complete && i.naturalWidth > 0)"
        )
        assert images and all(images)
    finally:
        v.close()


@pytest.mark.slow
def test_pdfs_are_byte_reproducible(demo_run, browser, tmp_path):
    """Printing the demo's documents again, in another folder, gives the workflow's bytes
    (fixed print time, renumbered structure ids, links relative to the PDF's folder)."""
    from demo_config import config
    from workflow_tools import SOURCE_DATE_EPOCH

    from hhsurvey.outputs.pdf import PrintJob, pdf_stamp, print_documents

    report = demo_run / "results" / "report"
    names = ["baseline_brief_en", "baseline_summary_lo"]
    for n in names:
        shutil.copy(report / f"{n}.html", tmp_path / f"{n}.html")
    env = {"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}  # the workflow run's time
    stamp = pdf_stamp(config()["report"]["date"], env)
    jobs = [PrintJob(tmp_path / f"{n}.html", tmp_path / f"{n}.pdf", False) for n in names]
    print_documents(jobs, CHROMIUM, stamp=stamp, browser=browser)
    for n in names:
        assert (tmp_path / f"{n}.pdf").read_bytes() == (report / f"{n}.pdf").read_bytes(), n
