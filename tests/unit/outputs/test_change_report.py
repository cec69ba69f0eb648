"""The "Change since baseline" report: numbers, flags, significance, national figures of each
round, determinism, escaping, self-containment and the rule script.

Every test renders the fixture rounds of tests/fixtures/report/changefixture.py and reads the
result tables back with pandas, independently of hhsurvey.outputs.change_report, to check the page.
"""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml
from scipy import stats
from testpaths import TESTS  # noqa: E402

from hhsurvey.outputs.change_report import (
    fmt_change,
    fmt_change_ci,
    fmt_p,
    render_change_report,
    row_flags,
    row_label,
)

HERE = TESTS
REPO = HERE.parent
import changefixture as cf  # noqa: E402

ROLES = ("baseline", "endline")


class Page(HTMLParser):
    """Rows of every table (attributes, cell texts, and the ``v``/``ci`` spans of each cell),
    element ids and all tags with their attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[dict] = []
        self.tags: list[tuple[str, dict]] = []
        self.tables: list[str] = []
        self._row: dict | None = None
        self._cell: dict | None = None
        self._span: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "table":
            self.tables.append(a.get("id", ""))
        if tag == "tr":
            self._row = {"attrs": a, "table": self.tables[-1] if self.tables else "", "cells": []}
        if tag in ("td", "th") and self._row is not None:
            self._cell = {"text": "", "v": "", "ci": "", "class": a.get("class", "")}
        if tag == "span" and self._cell is not None:
            cls = (a.get("class") or "").split()
            self._span = "v" if "v" in cls else "ci" if "ci" in cls else None

    def handle_endtag(self, tag):
        if tag == "span":
            self._span = None
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._cell["text"] = re.sub(r"\s+", " ", self._cell["text"]).strip()
            self._row["cells"].append(self._cell)
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data
            if self._span:
                self._cell[self._span] += data

    def change_rows(self) -> dict[tuple[str, str, str], list[dict]]:
        return {
            (r["attrs"]["data-indicator"], r["attrs"]["data-domain"], r["attrs"]["data-level"]): r
            for r in self.rows
            if "data-domain" in r["attrs"]
        }


def _read(path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def fixture_change(tmp_path_factory):
    dest = tmp_path_factory.mktemp("change")
    args = cf.write_change(dest)
    out = dest / "change.html"
    html = render_change_report(**args, out=str(out), environ={})
    return SimpleNamespace(dest=dest, args=args, out=out, html=html, page=Page(html))


@pytest.fixture(scope="module")
def hostile_change(tmp_path_factory, fixture_change):
    dest = tmp_path_factory.mktemp("hostile_change")
    args = cf.write_change(dest, hostile=True, with_figures=False)
    args["figure_paths"] = fixture_change.args["figure_paths"]
    html = render_change_report(**args, out=str(dest / "change.html"), environ={})
    return SimpleNamespace(html=html, page=Page(html))


def _catalogue(path) -> dict[str, dict]:
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return {e["id"]: e for e in doc["indicators"]}


# --------------------------------------------------------------------------- formatting


def test_change_formats():
    assert fmt_change(0.0534, "percent") == "+5.3"
    assert fmt_change(-0.0081, "percent") == "-0.8"
    assert fmt_change(-0.0004, "percent") == "0.0"  # never "-0.0" or "+0.0"
    assert fmt_change(291045.4, "lak") == "+291,045"
    assert fmt_change(float("nan"), "percent") == ""
    assert fmt_change_ci(-0.062, 0.014, "percent") == "-6.2 to +1.4"
    assert fmt_change_ci(0.1, float("nan"), "percent") == ""
    assert fmt_p(0.01608) == "0.016" and fmt_p(1.2e-17) == "<0.001" and fmt_p(None) == ""


# --------------------------------------------------------------------------- numbers


def _pct(x: float, unit: str, signed: bool = False) -> str:
    """Independent re-statement of the display rule (one decimal for %, whole LAK)."""
    d = {"percent": 1, "percentage_points": 1, "lak": 0, "rate": 2, "per_1000": 1, "nights": 1}
    d = d.get(unit, 3 if unit == "index" else 2)
    # percentage points are stored as fractions, like percentages (catalogue units)
    v = x * 100 if unit in ("percent", "percentage_points") else x
    text = f"{v:,.{d}f}"
    if text.lstrip("-").strip("0.,") == "":
        return text.lstrip("-")
    return f"+{text}" if signed and not text.startswith("-") else text


def _flags(path) -> dict[tuple[str, str, str], str]:
    ind = _read(path)
    return {
        (r.indicator, r.domain, str(r.level)): "" if pd.isna(r.flag) else r.flag
        for r in ind.itertuples()
    }


def test_every_change_row_matches_indicators_change_csv(fixture_change):
    """Each row of indicators_change.csv is in its section table with the same numbers, under
    each round's DHS flag (read from that round's indicators.csv)."""
    change = _read(fixture_change.args["paths"]["change"])
    catalogue = _catalogue(fixture_change.args["paths"]["catalogue"])
    flags = {r: _flags(fixture_change.args["paths"][r]["indicators"]) for r in ROLES}
    rows = fixture_change.page.change_rows()
    assert len(rows) == len(change) > 100
    for r in change.to_dict("records"):
        key = (r["indicator"], r["domain"], str(r["level"]))
        cells = rows[key]["cells"]
        unit = catalogue[r["indicator"]]["unit"]
        fb, fe = flags["baseline"][key], flags["endline"][key]
        for role, f, cell in (("baseline", fb, cells[1]), ("endline", fe, cells[2])):
            if f == "suppressed":
                assert (cell["v"], cell["ci"]) == ("*", ""), (key, role)
                continue
            est = _pct(r[role], unit)
            ci = f"{_pct(r[f'{role}_ci_low'], unit)}\u2013{_pct(r[f'{role}_ci_high'], unit)}"
            assert cell["v"] == (f"({est})" if f == "caution" else est), (key, role)
            assert cell["ci"] == (f"({ci})" if f == "caution" else ci), (key, role)
        chg, p, sig = cells[3], cells[4]["text"], cells[5]["text"]
        if "suppressed" in (fb, fe):
            assert (chg["v"], chg["ci"], p, sig) == ("*", "", "", ""), key
            continue
        value = _pct(r["change"], unit, signed=True)
        ci = f"{_pct(r['ci_low'], unit, True)} to {_pct(r['ci_high'], unit, True)}"
        caution = "caution" in (fb, fe)
        assert chg["v"] == (f"({value})" if caution else value), key
        assert chg["ci"] == (f"({ci})" if caution else ci), key
        assert p == ("<0.001" if r["p_value"] < 0.001 else f"{r['p_value']:.3f}"), key


def test_significance_marker_follows_the_csv(fixture_change):
    change = _read(fixture_change.args["paths"]["change"])
    rows = fixture_change.page.change_rows()
    seen = set()
    units = {
        e["id"]: e["unit"]
        for e in cf.yaml.safe_load(
            open(fixture_change.args["paths"]["catalogue"], encoding="utf-8")
        )["indicators"]
    }
    for r in change.assign(unit=change["indicator"].map(units)).to_dict("records"):
        row = rows[(r["indicator"], r["domain"], str(r["level"]))]
        if row["cells"][3]["v"] == "*":
            continue
        marked = "sig" in row["attrs"]["class"].split()
        text = row["cells"][5]["text"]
        assert text.split(" (")[0] == ("yes" if r["significant"] else "no")
        assert marked == bool(r["significant"])
        seen.add(bool(r["significant"]))
        if not r["significant"] and r["unit"] == "percent":
            # a change that is not significant shows what this survey could have detected:
            # MDC = (t(0.975, df) + t(0.80, df)) x SE, the CSV's mdc, by hand here
            mdc = (stats.t.ppf(0.975, r["df"]) + stats.t.ppf(0.8, r["df"])) * r["se"]
            assert r["mdc"] == pytest.approx(mdc, rel=1e-12)
            assert text == f"no (detectable: {100 * mdc:.1f} percentage points)", text
    assert seen == {True, False}
    cov = rows[("coverage_any", "total", "total")]
    assert "sig" in cov["attrs"]["class"].split() and cov["cells"][5]["text"] == "yes"
    assert '<td class="signif"><strong>yes</strong></td>' in fixture_change.html


def test_suppressed_baseline_shown_as_star_and_change_hidden(fixture_change):
    """institutional_delivery: suppressed at baseline only; u5_ari_care: in both rounds."""
    change = _read(fixture_change.args["paths"]["change"]).set_index(
        ["indicator", "domain", "level"]
    )
    rows = fixture_change.page.change_rows()
    inst = rows[("institutional_delivery", "total", "total")]
    cells = [c["text"] for c in inst["cells"]]
    assert inst["cells"][1]["v"] == "*" and inst["cells"][1]["ci"] == ""
    assert inst["cells"][2]["v"] not in ("", "*")  # the endline estimate is shown
    assert inst["cells"][3]["v"] == "*" and cells[4:6] == ["", ""]
    hidden = _pct(change.loc[("institutional_delivery", "total", "total"), "baseline"], "percent")
    assert hidden not in " ".join(cells)
    assert "flag-suppressed" in inst["attrs"]["class"]
    both = rows[("u5_ari_care", "total", "total")]
    assert [both["cells"][i]["v"] for i in (1, 2, 3)] == ["*", "*", "*"]
    # The headline line says why instead of showing numbers.
    li = re.search(
        r'<li data-indicator="institutional_delivery">(.*?)</li>', fixture_change.html, re.S
    )
    assert li and "fewer than 25 unweighted cases in the baseline round" in li.group(1)
    assert hidden not in li.group(1)


def test_caution_in_either_round_parenthesises_the_change(fixture_change):
    row = fixture_change.page.change_rows()[("skilled_birth_attendance", "total", "total")]
    assert all(re.fullmatch(r"\(.+\)", row["cells"][i]["v"]) for i in (1, 2, 3))
    assert re.fullmatch(r"\(.+ to .+\)", row["cells"][3]["ci"])


# --------------------------------------------------------------------------- national figures


def test_national_figures_of_each_round_with_year_and_source(fixture_change):
    html, page = fixture_change.html, fixture_change.page
    rows = page.change_rows()
    catalogue = _catalogue(fixture_change.args["paths"]["catalogue"])
    n_figures = 0
    for col, role in ((6, "baseline"), (7, "endline")):
        comp = _read(fixture_change.args["paths"][role]["comparison"])
        figs = comp.loc[comp["status"] != "no national figure"]
        for c in figs.to_dict("records"):
            n_figures += 1
            block = html[html.index(f'id="nat-{role}-{c["comparator_id"]}"') :]
            block = block[: block.index("</tbody>")]
            text = " ".join(" ".join(x["text"] for x in r["cells"]) for r in Page(block).rows)
            assert f'data-round="{role}"' in block
            assert f"({c['national_year']})" in text and c["source"] in text, c["comparator_id"]
            if c["indicator"] in catalogue:
                cell = rows[(c["indicator"], "total", "total")]["cells"][col]["text"]
                assert f"({c['national_year']})" in cell, (role, c["comparator_id"], cell)
        with_fig = set(figs["indicator"])
        for (iid, domain, _), r in rows.items():
            if domain == "total" and iid not in with_fig:
                assert r["cells"][col]["text"] == "no national figure", (role, iid)
    assert n_figures >= 10
    # Both rounds have figures for coverage, each in its own column.
    cov = rows[("coverage_any", "total", "total")]["cells"]
    assert "(2013)" in cov[6]["text"] and "(2013)" not in cov[7]["text"]
    assert "(2019)" in cov[7]["text"] and "(2019)" not in cov[6]["text"]


# --------------------------------------------------------------------------- page


def test_headline_chart_and_lines(fixture_change):
    catalogue = _catalogue(fixture_change.args["paths"]["catalogue"])
    change = _read(fixture_change.args["paths"]["change"])
    total = change.loc[change["domain"] == "total"].set_index("indicator")
    # The chart and the lines show the catalogue's key indicators (key_rank), nothing else.
    headline = [i for i, e in catalogue.items() if e.get("key_rank") and i in total.index]
    lis = re.findall(r'<li data-indicator="([a-z0-9_]+)">', fixture_change.html)
    assert sorted(lis) == sorted(headline) and len(lis) >= 10
    imgs = [a for t, a in fixture_change.page.tags if t == "img"]
    assert len(imgs) == 1
    svg = Path(fixture_change.args["figure_paths"][0]).read_bytes()
    assert imgs[0]["src"] == "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
    alt = imgs[0]["alt"]
    r = total.loc["coverage_any"]
    assert f"baseline {_pct(r['baseline'], 'percent')} (95 % CI" in alt
    assert f"change {_pct(r['change'], 'percent', True)} pp, significant" in alt
    sentence = re.search(r'<li data-indicator="coverage_any">(.*?)</li>', fixture_change.html, re.S)
    assert f"{_pct(r['change'], 'percent', True)}</strong> percentage points" in sentence.group(1)
    assert "<strong>statistically significant</strong>" in sentence.group(1)


def test_rounds_fieldwork_prices_and_deflator(fixture_change):
    cfg = fixture_change.args["config"]
    rows = {
        r["attrs"]["data-round"]: r for r in fixture_change.page.rows if "data-round" in r["attrs"]
    }
    for role in ROLES:
        rc = cfg["rounds"][role]
        cells = [c["text"] for c in rows[role]["cells"]]
        assert rc["title"] in cells
        assert f"{rc['fieldwork']['start']} to {rc['fieldwork']['end']}" in cells
        cpi = cfg["prices"]["cpi"]
        factor = cpi[cfg["prices"]["base_year"]] / cpi[rc["price_year"]]
        assert f"\u00d7 {factor:.4f}" in cells and f"{cpi[rc['price_year']]:g}" in cells
    html = fixture_change.html
    assert "amounts in LAK at 2013 prices" in html
    source = " ".join(cfg["prices"]["source"].split()).rstrip(".")
    assert source.replace("&", "&amp;") in " ".join(html.split())


def test_synthetic_banner_when_either_round_is_synthetic(fixture_change, tmp_path):
    html = fixture_change.html
    assert 0 < html.find('id="synthetic-banner"') < html.find('id="headline"')
    assert "The baseline and endline rounds of this comparison are" in html
    assert "<title>[SIMULATED DATA]" in html
    fig = fixture_change.args["figure_paths"]
    for synthetic, expected in (((False, True), True), ((False, False), False)):
        args = cf.write_change(tmp_path / str(synthetic), synthetic=synthetic, with_figures=False)
        args["figure_paths"] = fig
        out = render_change_report(**args, out=str(tmp_path / "c.html"), environ={})
        assert ('id="synthetic-banner"' in out) is expected
        assert ("[SIMULATED DATA]" in out) is expected
        if expected:
            assert "The endline round of this comparison is" in out


def test_methods_note_says_how_the_rounds_relate(fixture_change, tmp_path):
    html = fixture_change.html
    assert "The two rounds are <strong>independent samples</strong>" in html
    assert "linearised stacked design" in html
    assert "combined <strong>as independent samples</strong>" in html
    assert "Kakwani" in html and "Concentration index of OOP" in html  # listed composites
    args = cf.write_change(tmp_path, revisits="baseline", with_figures=False)
    args["figure_paths"] = fixture_change.args["figure_paths"]
    shared = render_change_report(**args, out=str(tmp_path / "s.html"), environ={})
    assert (
        "revisits the baseline villages" in shared and "independent samples</strong>:" not in shared
    )


def test_indicator_missing_in_a_round_is_listed_as_not_compared(fixture_change):
    notes = re.findall(r'<p class="note not-compared">(.*?)</p>', fixture_change.html, re.S)
    text = " ".join(notes)
    assert "Kakwani index" in text and "not estimated in the endline round" in text
    assert "estimated by threshold only" in text  # the catastrophic headcount curve


def test_every_table_is_followed_by_a_note(fixture_change):
    html = fixture_change.html
    tables = re.findall(r"<table.*?</table>\s*<[^>]+>", html, flags=re.S)
    assert len(tables) >= 8
    for t in tables:
        assert t.endswith('<p class="note">'), t[:120]


def test_provenance_of_both_rounds(fixture_change):
    html = fixture_change.html
    prov = html[html.index('id="provenance"') :]
    for role in ROLES:
        manifest = _read(fixture_change.args["paths"][role]["manifest"])
        for h in manifest["sha256"]:
            assert re.search(rf"<tr><td>{role}</td><td>\w+</td><td>[\w.]+</td>.*?{h}", prov)
    for name in (
        "Changes since baseline",
        "Estimates of the round, baseline",
        "Comparison with national figures, endline",
        "Configuration (endline)",
    ):
        assert f"<td>{name}</td>" in prov, name
    for pkg in ("pandas", "matplotlib", "jinja2"):
        assert pkg in prov
    # the configuration is a file beside the report, not a page of YAML
    assert '<pre class="config">' not in prov
    cfg = pd.read_csv(fixture_change.out.parent / "change_files" / "configuration.csv")
    assert {"change.baseline", "prices.base_year"} <= set(cfg["key"])


# --------------------------------------------------------------------------- determinism


def test_rendering_twice_is_byte_identical(fixture_change, tmp_path, monkeypatch):
    # The checkout may change while tests run (others commit): fix the code version.
    monkeypatch.setattr("hhsurvey.outputs.report.provenance.code_version", lambda repo: "v-test")
    outs = [tmp_path / "a" / "change.html", tmp_path / "b" / "change.html"]
    for out in outs:
        render_change_report(**fixture_change.args, out=str(out), environ={})
    assert outs[0].read_bytes() == outs[1].read_bytes()
    for name in ("changes.csv", "changes.xlsx", "configuration.csv", "configuration.xlsx"):
        a, b = (o.parent / "change_files" / name for o in outs)
        assert a.read_bytes() == b.read_bytes(), name
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    dated = [render_change_report(**fixture_change.args, out=str(o), environ=env) for o in outs]
    assert dated[0] == dated[1] and "2023-11-14 22:13 UTC" in dated[0]
    assert "report of 2026-11-23" in fixture_change.html  # config report.date otherwise


def test_figure_is_byte_identical_across_runs(fixture_change, tmp_path):
    args = cf.write_change(tmp_path)
    assert Path(args["figure_paths"][0]).read_bytes() == (
        Path(fixture_change.args["figure_paths"][0]).read_bytes()
    )


# --------------------------------------------------------------------------- safety


def test_page_is_self_contained(fixture_change):
    html, page = fixture_change.html, fixture_change.page
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html.lower()
    csp = [a["content"] for t, a in page.tags if a.get("http-equiv")]
    assert csp and csp[0].startswith(
        "default-src 'none'; img-src data:; font-src data:; style-src 'sha256-"
    )
    for tag, attrs in page.tags:
        assert tag != "link"
        for name in ("src", "href", "srcset", "data", "action"):
            value = attrs.get(name)
            if value is None:
                continue
            if tag == "img":
                assert value.startswith("data:image/svg+xml;base64,")
            else:
                assert tag == "a", (tag, name, value[:60])
                if not value.startswith(("#", "data:")):  # a file beside it, relative link
                    assert value.startswith(f"{fixture_change.out.stem}_files/"), value
                    assert (fixture_change.out.parent / value).is_file(), value
    ids = [a["id"] for _, a in page.tags if "id" in a]
    assert len(ids) == len(set(ids))
    anchors = {a["href"][1:] for t, a in page.tags if t == "a" and a["href"].startswith("#")}
    assert anchors <= set(ids)


def test_hostile_label_and_source_are_escaped(hostile_change):
    html = hostile_change.html
    assert "<script" not in html.lower() and "<img src=x" not in html
    assert (
        "Covered by &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#39;the &#34;fund&#34;&#39;"
        in html
    )
    assert "Ministry &lt;img src=x onerror=alert(2)&gt; &amp; &#34;partners&#34;" in html
    row = hostile_change.page.change_rows()[("coverage_any", "total", "total")]
    assert row["cells"][0]["text"].startswith(cf.HOSTILE_LABEL)
    assert not any(k.startswith("on") for _, a in hostile_change.page.tags for k in a)
    assert {t for t, _ in hostile_change.page.tags} <= {
        "html", "head", "meta", "title", "style", "body", "header", "p", "strong", "h1", "nav",
        "h2", "ol", "li", "a", "main", "section", "span", "table", "caption", "tbody", "tr",
        "th", "td", "thead", "sub", "h3", "em", "figure", "img", "figcaption", "code", "br",
        "ul", "pre", "dl", "dt", "dd", "footer", "sup",
    }  # fmt: skip


def test_difference_in_differences_rows_are_labelled_and_flagged():
    flags = {
        "baseline": {("x", "area", "rural"): "", ("x", "area", "urban"): "caution"},
        "endline": {("x", "area", "rural"): "suppressed", ("x", "area", "urban"): ""},
    }
    level = "area: rural vs urban"
    assert row_flags(flags, "x", "difference-in-differences", level) == ("caution", "suppressed")
    assert row_flags(flags, "x", "area", "urban") == ("caution", "")
    assert row_label("difference-in-differences", level) == (
        "Difference-in-differences (area: rural vs urban)"
    )
    assert row_label("area", "rural") == "Rural"


def test_difference_in_differences_rows_in_the_page(fixture_change, tmp_path):
    change = _read(fixture_change.args["paths"]["change"])
    did = change.loc[change["domain"] == "total"].head(1).copy()
    iid = did["indicator"].iloc[0]
    did = did.assign(domain="difference-in-differences", level="area: rural vs urban")
    path = tmp_path / "indicators_change.csv"
    pd.concat([change, did]).to_csv(path, index=False)
    args = dict(fixture_change.args, paths=dict(fixture_change.args["paths"], change=str(path)))
    html = render_change_report(**args, out=str(tmp_path / "did.html"), environ={})
    row = Page(html).change_rows()[(iid, "difference-in-differences", "area: rural vs urban")]
    assert row["cells"][0]["text"] == "Difference-in-differences (area: rural vs urban)"
    assert "sub" in row["attrs"]["class"].split()
    assert "In a <strong>difference-in-differences</strong> row" in html
    assert "parallel trends" in html
    assert "parallel trends" not in fixture_change.html


# --------------------------------------------------------------------------- rule script


def test_render_change_report_script_main(fixture_change, tmp_path, monkeypatch):
    """The thin rule script passes the rule's named inputs through unchanged."""
    a = fixture_change.args
    p = a["paths"]
    inputs = {
        "change": p["change"],
        "indicators": [p[r]["indicators"] for r in ROLES],
        "comparison": [p[r]["comparison"] for r in ROLES],
        "manifest": [p[r]["manifest"] for r in ROLES],
        "figures": a["figure_paths"],
        "catalogue": p["catalogue"],
        "national": p["national"],
        "report_spec": str(cf.REPO / "config" / "report.yaml"),
        "config_files": p["config_files"],
        "revisits": "",  # the rule's summarise_revisits table; absent in the fixture
        "template": a["template"],
        "css": a["css"],
    }
    params = {k: a[k] for k in ("rounds", "figure_names", "config")}
    monkeypatch.setattr("hhsurvey.outputs.report.provenance.code_version", lambda repo: "v-test")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    out = tmp_path / "s" / "change.html"
    page = cf.rf.run_rule_script("render_change_report.py", inputs, params, out)
    assert page == render_change_report(**a, out=str(tmp_path / "direct" / "change.html"))


def test_summary_in_words_caveat_and_national_trends(fixture_change):
    """The summary counts the key changes by direction from the change table itself, says a
    before-after change is not the effect of NHI, and lists national trends where both rounds
    have a national figure."""
    html = fixture_change.html
    catalogue = _catalogue(fixture_change.args["paths"]["catalogue"])
    change = _read(fixture_change.args["paths"]["change"])
    total = change.loc[change["domain"] == "total"].set_index("indicator")
    keys = [i for i, e in catalogue.items() if e.get("key_rank") and i in total.index]
    summary = html[html.index('<section id="summary"') : html.index('<section id="headline"')]
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", summary))
    sig = total.loc[keys, "significant"].astype(str).str.lower().isin(["true", "1"])
    rose = [catalogue[i]["label"] for i in keys if sig[i] and total.loc[i, "change"] > 0]
    fell = [catalogue[i]["label"] for i in keys if sig[i] and total.loc[i, "change"] < 0]
    if rose:
        assert f"{len(rose)} rose significantly" in words
        assert all(label in words for label in rose)
    if fell:
        assert f"{len(fell)} fell significantly" in words
    assert "It is not the effect of NHI." in words
    assert 'id="not-an-effect"' in summary
    # coverage_any has national figures in both rounds in the fixture's comparison tables
    assert '<li data-trend="coverage_any">' in summary and "then" in words


def test_methods_print_the_villages_the_rounds_share(fixture_change, tmp_path):
    """Issue 17: the revisits check's numbers (revisits.csv) appear in the change Methods."""
    assert "of which" not in fixture_change.html  # no revisits table: no sentence
    args = cf.write_change(tmp_path, with_figures=False)
    args["figure_paths"] = fixture_change.args["figure_paths"]
    endline = args["rounds"]["endline"]["name"]
    path = tmp_path / "revisits.csv"
    pd.DataFrame(
        {
            "round": [endline],
            "revisits": [""],
            "baseline_villages": [20],
            "endline_villages": [20],
            "shared_villages": [4],
            "shared_share": [0.2],
            "frames_agree": [False],
            "frame_differences": ["village 7: size 120 vs 95"],
            "min_share": [0.8],
        }
    ).to_csv(path, index=False)
    args["paths"] = dict(args["paths"], revisits=str(path))
    html = render_change_report(**args, out=str(tmp_path / "o.html"), environ={})
    text = re.sub(r"\s+", " ", html)
    assert "holds 20 villages, of which 4 are among the 20 villages" in text
    assert "(20% of them)" in text or "(20 % of them)" in text
    assert "frames differ (village 7: size 120 vs 95)" in text
