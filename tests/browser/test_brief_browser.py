"""The brief in a real browser (Debian Chromium through Playwright, offline).

Each language: exactly two A4 pages, the cascade loaded, no console error, no request leaving
the page; every number parses back (locale format) to an indicators.csv value; planted markup in
village names stays text. Lao: with fontconfig restricted to a folder without a Lao font (a
test-only FONTCONFIG_FILE), Lao runs are drawn by the embedded font (CSS.getPlatformFontsForNode)
and a screenshot shows ink where the Lao text is. Artifacts go to tests/artifacts/.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from demo_config import languages
from PIL import Image  # matplotlib's dependency
from testpaths import TESTS  # noqa: E402

from hhsurvey.outputs.brief.build import write_brief
from hhsurvey.outputs.fonts import FONT_FAMILY
from hhsurvey.outputs.i18n import parse_number
from hhsurvey.outputs.pdf import CHROMIUM_ARGS

HERE = TESTS
REPO = HERE.parent
ARTIFACTS = HERE / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.browser
import roundfixture as rf  # noqa: E402


def _write(dest: Path, villages) -> dict[str, Path]:
    rf.write_round(dest, villages=villages, with_figures=False)
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    paths = {
        "indicators": dest / "indicators.csv",
        "comparison": dest / "national_comparison.csv",
        "weights_diagnostics": dest / "weights_diagnostics.csv",
        "frame": dest / "clean" / "frame.parquet",
        "catalogue": dest / "indicators.yaml",
        "brief": REPO / "config" / "brief.yaml",
    }
    out = {}
    for lang in ("en", "lo"):
        out[lang] = dest / f"baseline_brief_{lang}.html"
        write_brief(
            paths={k: str(v) for k, v in paths.items()},
            round_meta=dict(config["rounds"]["baseline"], name="baseline"),
            config=config,
            lang=lang,
            template=str(REPO / "report" / "templates" / "brief.html.j2"),
            css=str(REPO / "report" / "static" / "brief.css"),
            locale_dir=str(REPO / "report" / "locale"),
            out=str(out[lang]),
        )
    return out


@pytest.fixture(scope="module")
def briefs(tmp_path_factory):
    return _write(tmp_path_factory.mktemp("brief"), rf.HOSTILE_VILLAGES)


@pytest.fixture(scope="module")
def no_lao_fonts(tmp_path_factory):
    """A fontconfig configuration whose only font folder holds DejaVu Sans Mono (no Lao)."""
    d = tmp_path_factory.mktemp("fonts")
    mono = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
    assert mono.exists(), "fonts-dejavu-core is needed (make installs it: envs/install_debian.sh)"
    (d / "fonts").mkdir()
    shutil.copy(mono, d / "fonts" / mono.name)
    conf = d / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>{d / 'fonts'}</dir><cachedir>{d / 'cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    return conf


@pytest.fixture(scope="module")
def browser(no_lao_fonts):
    from playwright import sync_api

    assert Path(CHROMIUM).exists(), (
        "Debian chromium is needed (make installs it: envs/install_debian.sh)"
    )
    env = dict(os.environ, FONTCONFIG_FILE=str(no_lao_fonts))
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=env)
        yield b
        b.close()


def _open(browser, html: Path):
    url = html.resolve().as_uri()
    ctx = browser.new_context(viewport={"width": 900, "height": 1300}, offline=True)
    log = {"console": [], "errors": [], "blocked": [], "dialogs": []}
    page = ctx.new_page()
    page.on("console", lambda m: log["console"].append((m.type, m.text)))
    page.on("pageerror", lambda e: log["errors"].append(str(e)))
    page.on("dialog", lambda d: (log["dialogs"].append(d.message), d.dismiss()))

    def route(r):
        u = r.request.url
        if u == url or u.startswith("data:"):
            r.continue_()
        else:
            log["blocked"].append(u)
            r.abort()

    ctx.route("**/*", route)
    page.goto(url, wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    return ctx, page, log


def _numbers_match(page, results: Path, lang: str) -> None:
    """Every percentage of the tiles, messages and national table, read back with the locale's
    conventions, is an estimate or bound of indicators.csv (or a national figure, or the
    confidence level) rounded to one decimal of a percent; the cascade's are read from its
    alternative text."""
    ind = pd.read_csv(results / "indicators.csv")
    comp = pd.read_csv(results / "national_comparison.csv")
    known = set(ind[["estimate", "ci_low", "ci_high"]].to_numpy().ravel())
    known |= set(comp["national_value"].dropna()) | {0.95, 1.0}  # level, population step
    texts = page.eval_on_selector_all(
        ".tile-est .num, .tile-ci, .tile-words, .messages li, table.national td.num",
        "els => els.map(e => e.textContent)",
    )
    texts.append(page.get_attribute("#cascade", "alt"))  # the cascade's values, in words
    nums = [n for t in texts for n in re.findall(r"\d[\d.,]*%", t)]
    assert len(nums) >= 12
    for n in nums:
        x = parse_number(n, lang) / 100
        assert any(abs(x - round(100 * v, 1) / 100) < 5e-10 for v in known), n


@pytest.mark.parametrize("lang", ["en", "lo"])
def test_brief_two_pages_offline_numbers_and_inert_markup(browser, briefs, lang):
    ctx, page, log = _open(browser, briefs[lang])
    try:
        assert page.evaluate("() => document.documentElement.lang") == lang
        assert not [m for m in log["console"] if m[0] == "error"], log["console"]
        assert not log["errors"] and not log["blocked"] and not log["dialogs"]
        imgs = page.evaluate("() => [...document.images].map(i => [i.complete, i.naturalWidth])")
        assert imgs and all(c and w > 0 for c, w in imgs)
        # simulated data: the first line says so
        first = page.evaluate("() => document.querySelector('#page-1').firstElementChild.id")
        assert first == "synthetic-banner"
        # planted markup stays text
        found = page.evaluate(
            """() => ({
                scripts: document.querySelectorAll('script, iframe, object, embed, svg, b').length,
                onattrs: [...document.querySelectorAll('*')].flatMap(
                    e => [...e.attributes].map(a => a.name)).filter(n => n.startsWith('on')),
                villages: [...document.querySelectorAll('.village')].map(v => v.textContent),
            })"""
        )
        assert found["scripts"] == 0 and found["onattrs"] == []
        col = 2 if lang == "lo" else 1
        assert found["villages"] == [v[col] for v in rf.HOSTILE_VILLAGES]
        # every number of the tiles, the messages and the table parses back to indicators.csv
        _numbers_match(page, briefs[lang].parent, lang)
        page.emulate_media(media="print")
        pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 2
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"brief_{lang}.pdf").write_bytes(pdf)
    finally:
        ctx.close()


def test_lao_is_drawn_by_the_embedded_font_without_system_lao_fonts(browser, briefs):
    ctx, page, _ = _open(browser, briefs["lo"])
    try:
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        for sel in ("h1", ".messages li", ".village"):
            node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": sel})["nodeId"]
            fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
            lao = [f for f in fonts if f["isCustomFont"]]
            assert lao and lao[0]["glyphCount"] > 0, (sel, fonts)
            # no system font with Lao glyphs exists in this fontconfig
            assert all(
                f["familyName"] in ("DejaVu Sans Mono",) for f in fonts if not f["isCustomFont"]
            ), fonts
        h1 = page.query_selector("h1")
        box = h1.bounding_box()
        ARTIFACTS.mkdir(exist_ok=True)
        shot = h1.screenshot(path=str(ARTIFACTS / "brief_lo_title.png"))
        # ink: the Lao title is drawn (a row of tofu boxes would be drawn by no custom font,
        # which the check above already excludes); the screenshot is not blank
        img = np.asarray(Image.open(io.BytesIO(shot)).convert("L"))
        dark = int((img < 160).sum())
        assert box and dark > 200, dark
        assert FONT_FAMILY  # the family the page declares
    finally:
        ctx.close()


@pytest.mark.parametrize("lang", languages("baseline"))  # the demo round's, config/config.yaml
def test_demo_brief_built_by_the_workflow(browser, demo_run, lang):
    """The workflow's own brief of the demo round: its PDF (printed by the print_brief rule)
    has exactly two pages, and the numbers of its HTML match the demo indicators.csv."""
    report = demo_run / "results" / "report"
    pdf = (report / f"baseline_brief_{lang}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 2
    ctx, page, log = _open(browser, report / f"baseline_brief_{lang}.html")
    try:
        assert not log["blocked"] and not [m for m in log["console"] if m[0] == "error"]
        _numbers_match(page, demo_run / "results" / "baseline", lang)
    finally:
        ctx.close()
