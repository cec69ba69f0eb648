"""The HTML report: formatting rules, sections, key findings, escaping, determinism.

Every test renders a fixture round (tests/fixtures/report/roundfixture.py) and reads the
result tables back with pandas, independently of hhsurvey.outputs.report.build, to check what the page shows.
"""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pandas as pd
import pytest
import yaml
from demo_config import figures, require_ids, section_keys
from testpaths import TESTS

from hhsurvey.errors import InputError
from hhsurvey.outputs.report.build import (
    fmt_ci,
    fmt_estimate,
    fmt_number,
    render,
    render_report,
    report_date,
    trusted,
)

HERE = TESTS
REPO = HERE.parent
import roundfixture as rf  # noqa: E402

NEW_INDICATORS = [
    {
        "id": "coverage_private",
        "label": "Covered by a private health insurance",
        "unit": "percent",
        "unit_of_analysis": "person",
        "definition": "(insured == 'yes') & (scheme == 'private')",
        "estimator": "proportion",
        "by": ["area"],
        "standard": "test entry",
        "section": "coverage",
    },
    {
        "id": "vaccination_full",
        "label": "Children fully vaccinated <svg onload=alert(6)>",
        "unit": "percent",
        "unit_of_analysis": "person",
        "definition": "c_vaccinated == 'yes'",
        "estimator": "proportion",
        "by": ["area"],
        "standard": "test entry",
    },
]


class Page(HTMLParser):
    """Minimal DOM-less reader: text by element id/class, key findings, table rows."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.findings: dict[str, dict[str, str]] = {}
        self._kf: str | None = None
        self.rows: list[dict] = []  # every <tr>: attrs, cell texts
        self._row: dict | None = None
        self._cell: list[str] | None = None
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def _classes(self) -> set[str]:
        return {c for _, a in self.stack for c in (a.get("class") or "").split()}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag in ("br", "img", "meta", "link", "hr", "input"):
            return
        self.stack.append((tag, a))
        if tag == "li" and "data-indicator" in a:
            self._kf = a["data-indicator"]
            self.findings[self._kf] = {"free": "", "label": "", "nat": "", "ref": ""}
        if tag == "tr":
            table = next((x for t, x in reversed(self.stack) if t == "table"), {})
            self._row = {"attrs": a, "table": table.get("id", ""), "cells": []}
        if tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row["cells"].append("".join(self._cell).strip())
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        if tag == "li" and self._kf and any(t == "li" for t, _ in self.stack):
            # close only the finding's own li
            if sum(1 for t, _ in self.stack if t == "li") == 1:
                self._kf = None
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._kf:
            cls = self._classes()
            key = (
                "label"
                if "kf-label" in cls
                else "nat"
                if "nat-label" in cls
                else "ref"
                if "ref" in cls
                else "free"
            )
            self.findings[self._kf][key] += data

    def table(self, table_id: str) -> list[dict]:
        return [r for r in self.rows if r["table"] == table_id]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def fixture_round(tmp_path_factory):
    dest = tmp_path_factory.mktemp("round")
    args = rf.write_round(dest, extra_catalogue=NEW_INDICATORS)
    out = dest / "report.html"
    html = render_report(**args, out=str(out), environ={})
    return SimpleNamespace(dest=dest, args=args, out=out, html=html, page=Page(html))


@pytest.fixture(scope="module")
def hostile_round(tmp_path_factory, fixture_round):
    dest = tmp_path_factory.mktemp("hostile")
    args = rf.write_round(
        dest,
        villages=rf.HOSTILE_VILLAGES,
        scheme_other=rf.HOSTILE_SCHEME,
        reason_other=rf.HOSTILE_REASON,
        extra_catalogue=NEW_INDICATORS,
        with_figures=False,  # the figures hold no survey text: reuse those of fixture_round
    )
    args["figure_paths"] = fixture_round.args["figure_paths"]
    out = dest / "report.html"
    html = render_report(**args, out=str(out), environ={})
    return SimpleNamespace(dest=dest, out=out, html=html, page=Page(html))


def _catalogue(path) -> dict[str, dict]:
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return {e["id"]: e for e in doc["indicators"]}


# --------------------------------------------------------------------------- formatting


def test_number_formats_follow_dhs_conventions():
    assert fmt_number(0.12345, "percent") == "12.3"
    assert fmt_number(1234567.4, "lak") == "1,234,567"
    assert fmt_number(-0.0456, "index") == "-0.046"
    assert fmt_number(float("nan"), "percent") == ""
    assert fmt_estimate(0.5, "percent", "suppressed") == "*"
    assert fmt_estimate(0.5, "percent", "caution") == "(50.0)"
    assert fmt_estimate(0.5, "percent", "") == "50.0"
    assert fmt_ci(0.1, 0.2, "percent", "") == "10.0\u201320.0"
    assert fmt_ci(0.1, 0.2, "percent", "caution") == "(10.0\u201320.0)"
    assert fmt_ci(0.1, 0.2, "percent", "suppressed") == ""


def test_report_date_prefers_source_date_epoch():
    cfg = {"report": {"date": "2026-11-23"}}
    assert report_date(cfg, {}) == "2026-11-23"
    assert report_date(cfg, {"SOURCE_DATE_EPOCH": "1700000000"}) == "2023-11-14 22:13 UTC"
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH"):
        report_date(cfg, {"SOURCE_DATE_EPOCH": "yesterday"})


def test_trusted_refuses_markup_that_could_escape_the_style_element():
    assert str(trusted("a > b { color: red; }")) == "a > b { color: red; }"
    for bad in ("</style><script>x</script>", "</STYLE >", "<!-- x"):
        with pytest.raises(InputError):
            trusted(bad)


def test_strict_undefined_and_autoescape(fixture_round):
    tpl = Path(fixture_round.args["template"])
    with pytest.raises(jinja2.UndefinedError):
        render({}, tpl, fixture_round.args["css"])
    env = jinja2.Environment(autoescape=True)
    assert "&lt;script&gt;" in env.from_string("{{ x }}").render(x="<script>")


# --------------------------------------------------------------------------- the page


def test_page_is_self_contained(fixture_round):
    html = fixture_round.html
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in html
    assert "<script" not in html.lower()
    csp = [a["content"] for t, a in fixture_round.page.tags if a.get("http-equiv")]
    assert csp and csp[0].startswith(
        "default-src 'none'; img-src data:; font-src data:; style-src 'sha256-"
    )
    for tag, attrs in fixture_round.page.tags:
        for name in ("src", "href", "srcset", "data", "action"):
            value = attrs.get(name)
            if value is None:
                continue
            assert not re.match(r"\s*(https?:|//|ftp:|ws:|file:|javascript:)", value, re.I), (
                tag,
                name,
                value[:80],
            )
            if tag == "img":
                assert value.startswith("data:image/svg+xml;base64,")
            if tag == "a" and value.startswith("data:"):
                # a result table to download, embedded in the page
                assert "download" in attrs and value.startswith(
                    (
                        "data:text/csv;charset=utf-8;base64,",
                        "data:application/vnd.openxmlformats-officedocument.spreadsheetml"
                        ".sheet;base64,",
                    )
                ), value[:60]
            elif tag == "a" and not value.startswith("#"):
                # a file written beside the report, by a relative link
                assert value.startswith(f"{fixture_round.out.stem}_files/"), value
                assert (fixture_round.out.parent / value).is_file(), value
        if tag == "link":
            raise AssertionError("no <link> element may load anything")
    imgs = [a for t, a in fixture_round.page.tags if t == "img"]
    assert len(imgs) == len(figures("round"))  # the round figures of config/report.yaml
    for a in imgs:
        assert len(a.get("alt", "")) > 60


def test_figures_embedded_are_the_standalone_files(fixture_round):
    imgs = {a["src"] for t, a in fixture_round.page.tags if t == "img"}
    for path in fixture_round.args["figure_paths"]:
        data = Path(path).read_bytes()
        assert data.lstrip().startswith((b"<?xml", b"<svg"))
        assert "data:image/svg+xml;base64," + base64.b64encode(data).decode() in imgs


def test_synthetic_banner_on_the_first_screen(fixture_round, tmp_path):
    html = fixture_round.html
    banner = html.find('id="synthetic-banner"')
    assert 0 < banner < html.find('id="key-findings"')
    assert "simulated (synthetic) survey data" in html
    args = rf.write_round(tmp_path, synthetic=False, with_figures=False)
    args["figure_paths"] = fixture_round.args["figure_paths"]
    real = render_report(**args, out=str(tmp_path / "r.html"), environ={})
    assert 'id="synthetic-banner"' not in real and "[SIMULATED DATA]" not in real


def test_rendering_twice_is_byte_identical(fixture_round, tmp_path):
    """Two renders from the same inputs, back to back (the real code version included), with
    the files written beside them."""
    outs = [tmp_path / "first" / "report.html", tmp_path / "second" / "report.html"]
    for out in outs:
        render_report(**fixture_round.args, out=str(out), environ={})
    assert outs[0].read_bytes() == outs[1].read_bytes()
    files = sorted(p.name for p in (outs[0].parent / "report_files").iterdir())
    assert "estimates.xlsx" in files and "configuration.csv" in files
    for name in files:
        a, b = (o.parent / "report_files" / name for o in outs)
        assert a.read_bytes() == b.read_bytes(), name
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    dated = [render_report(**fixture_round.args, out=str(o), environ=env) for o in outs]
    assert dated[0] == dated[1] and "2023-11-14 22:13 UTC" in dated[0]


def test_figures_are_byte_identical_across_runs(fixture_round, tmp_path):
    args = rf.write_round(tmp_path / "again", extra_catalogue=NEW_INDICATORS)
    for a, b in zip(args["figure_paths"], fixture_round.args["figure_paths"], strict=True):
        assert Path(a).read_bytes() == Path(b).read_bytes(), Path(a).name


# --------------------------------------------------------------------------- key findings

NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
MAX_KEY_FINDINGS = 10  # the report's rule: at most ten key findings


def _key_ranked(catalogue: dict[str, dict]) -> list[str]:
    """Ids with a key_rank, by rank (catalogue order breaks ties)."""
    ranked = [
        (e["key_rank"], i, iid) for i, (iid, e) in enumerate(catalogue.items()) if "key_rank" in e
    ]
    return [iid for _, _, iid in sorted(ranked)]


def _fmt(x: float, unit: str) -> str:
    """Independent re-statement of the display rule: % with 1 decimal, LAK whole."""
    if unit == "percent":
        return f"{x * 100:.1f}"
    if unit == "lak":
        return f"{x:,.0f}"
    if unit == "index":
        return f"{x:.3f}"
    if unit == "rate":
        return f"{x:.2f}"
    return f"{x:.1f}"


def test_key_findings_numbers_match_indicators_csv(fixture_round):
    findings = fixture_round.page.findings
    kf_ids = [i for i in findings if i in _catalogue(fixture_round.args["paths"]["catalogue"])]
    indicators = pd.read_csv(fixture_round.args["paths"]["indicators"], keep_default_na=False)
    overall = indicators[indicators["domain"] == "total"].set_index("indicator")
    # the catalogue's key_rank order, without the indicators the fixture does not estimate or
    # suppresses, nor those whose category the round's instrument lacks (every `instrument`
    # entry of the catalogue, for the fixture's baseline codebook); at most ten
    cat = _catalogue(fixture_round.args["paths"]["catalogue"])
    eligible = [
        i
        for i in _key_ranked(cat)
        if i in overall.index and overall.loc[i, "flag"] != "suppressed"
        and "instrument" not in cat[i]
    ]  # fmt: skip
    assert len(eligible) >= 6, "the fixture should give several key findings"
    assert kf_ids == eligible[:MAX_KEY_FINDINGS]
    comparison = pd.read_csv(
        fixture_round.args["paths"]["comparison"], keep_default_na=False, dtype=str
    )
    catalogue = _catalogue(fixture_round.args["paths"]["catalogue"])
    for iid in kf_ids:
        text = findings[iid]
        unit = catalogue[iid]["unit"]
        r = overall.loc[iid]
        assert r["flag"] != "suppressed", f"{iid}: a suppressed estimate is a key finding"
        assert text["label"] == catalogue[iid]["label"]
        est, lo, hi = (_fmt(float(r[c]), unit) for c in ("estimate", "ci_low", "ci_high"))
        free = re.sub(r"\s+", " ", text["free"])
        suffix = "%" if unit == "percent" else " LAK" if unit == "lak" else ""
        shown_est = f"{est}{suffix}"
        assert (f"({shown_est})" if r["flag"] == "caution" else shown_est) in free, (iid, free)
        ci = f"CI {lo} to {hi} LAK" if unit == "lak" else f"CI {lo}{suffix} to {hi}{suffix}"
        assert ci in free, (iid, free)
        allowed = {est, lo, hi, "95"}
        if unit == "lak":  # US$ and the yardsticks of an amount (checked in test_money.py)
            allowed |= set(NUMBER.findall(free.split("LAK", 1)[1].split("Lao PDR")[0]))
        comps = comparison[
            (comparison["indicator"] == iid) & (comparison["status"] != "no national figure")
        ]
        for c in comps.to_dict("records"):
            value = float(c["national_value"])
            shown = f"{value * 100:.1f}" if c["national_unit"] == "fraction" else f"{value:.1f}"
            year = c["national_year"]
            when = "year not stated" if year in ("", "not stated") else f"in {year}"
            assert f"{shown}% {when}" in free, (iid, free)
            assert c["national_label"] in text["nat"]
            allowed |= {shown, *NUMBER.findall(c["national_year"])}
        if comps.empty:
            assert "Lao PDR" not in free  # no "No national figure" line in the summary
        else:
            refs = re.findall(r"N\d+", text["ref"])
            assert len(refs) == len(comps)
        unexplained = [n for n in NUMBER.findall(free) if n not in allowed]
        assert not unexplained, f"{iid}: numbers not in the result tables: {unexplained} in {free}"


def test_key_findings_skip_suppressed_and_mark_caution(fixture_round, tmp_path):
    """A suppressed key indicator is no key finding; a caution one is, in parentheses. The two
    worked examples (roundfixture.SPECIAL_N) are the only ranked entries of a copy of the
    fixture's catalogue, so that a longer catalogue cannot push them past the ten findings."""
    suppressed, caution = "institutional_delivery", "skilled_birth_attendance"
    require_ids(suppressed, caution)
    doc = yaml.safe_load(Path(fixture_round.args["paths"]["catalogue"]).read_text("utf-8"))
    for e in doc["indicators"]:
        e.pop("key_rank", None)
        if e["id"] in (suppressed, caution):
            e["key_rank"] = 1
    path = tmp_path / "indicators.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "utf-8")
    args = dict(fixture_round.args, paths=dict(fixture_round.args["paths"], catalogue=str(path)))
    findings = Page(render_report(**args, out=str(tmp_path / "k.html"), environ={})).findings
    assert list(findings) == [caution]  # the suppressed one is skipped
    sba = re.sub(r"\s+", " ", findings[caution]["free"])
    assert re.search(r"\(\d+\.\d%\)", sba) and "use with caution" in sba


# --------------------------------------------------------------------------- tables


def test_suppressed_estimates_never_shown(fixture_round):
    """The page shows * for a suppressed estimate; the estimates file beside it keeps every row
    of indicators.csv (with label and unit), flags included."""
    indicators = pd.read_csv(fixture_round.args["paths"]["indicators"], keep_default_na=False)
    assert int((indicators["flag"] == "suppressed").sum()) > 0
    shown = 0
    for r in fixture_round.page.rows:
        if "flag-suppressed" in r["attrs"].get("class", ""):
            assert "*" in r["cells"]
            shown += 1
    assert shown > 0
    cautious = [r for r in fixture_round.page.rows if "flag-caution" in r["attrs"].get("class", "")]
    assert cautious and all(re.fullmatch(r"\(.+\)", r["cells"][1]) for r in cautious)
    est = pd.read_csv(
        fixture_round.out.parent / "report_files" / "estimates.csv", keep_default_na=False
    )
    assert len(est) == len(indicators)
    assert est["flag"].tolist() == indicators["flag"].tolist()
    catalogue = _catalogue(fixture_round.args["paths"]["catalogue"])
    for iid, label in zip(est["indicator"], est["label"], strict=True):
        if iid in catalogue:
            assert label == catalogue[iid]["label"]


def test_every_catalogue_indicator_in_its_section(fixture_round):
    catalogue = _catalogue(fixture_round.args["paths"]["catalogue"])
    page = fixture_round.page
    placed = {}
    for key in section_keys("indicators"):  # config/report.yaml, read as YAML
        for r in page.table(f"table-{key}"):
            if "data-indicator" in r["attrs"]:
                assert r["attrs"]["data-indicator"] not in placed  # in one section only
                placed[r["attrs"]["data-indicator"]] = key
    for iid, e in catalogue.items():
        assert placed.get(iid) == e.get("section", "other"), iid
    # The new entries land by their catalogue `section:`; one without it in Other.
    assert placed["coverage_private"] == "coverage"
    assert placed["vaccination_full"] == "other"
    row = next(r for r in page.table("table-other") if r["attrs"].get("data-indicator"))
    assert row["cells"][0].startswith("Children fully vaccinated <svg onload=alert(6)>")
    assert "&lt;svg onload=alert(6)&gt;" in fixture_round.html


def test_missing_indicators_and_determinants_render_as_not_estimated(fixture_round):
    """Catalogue entries without results (dropped by the fixture) and the expected indicators
    of later stages that are not in the catalogue say "not estimated in this run"."""
    page = fixture_round.page
    catalogue = _catalogue(fixture_round.args["paths"]["catalogue"])
    missing = ["che_sdg_revised", "kakwani_oop"]  # roundfixture.write_round(drop=...)
    assert all(i in catalogue for i in missing)
    rows = {
        r["attrs"]["data-indicator"]: r
        for r in page.rows
        if r["table"].startswith("table-") and "data-indicator" in r["attrs"]
    }
    for iid in missing:
        assert rows[iid]["cells"][1] == "not estimated in this run", iid
    assert "The regression of care-seeking on its determinants was not estimated in this run" in (
        fixture_round.html
    )


def test_determinants_table_when_present(fixture_round, tmp_path):
    """Readable characteristics with their reference category, travel time per 30 minutes,
    N and the model's df in the caption, and no odds ratio for the intercept."""
    det = tmp_path / "determinants.csv"
    pd.DataFrame(
        {
            "term": ["(Intercept)", "quintile_group[T.Q5]", "insurance[T.yes]", "dist_hc_30min"],
            "estimate": [-0.2, 0.9, 0.4, -0.1],
            "se": [0.1, 0.3, 0.2, 0.05],
            "ci_low": [-0.4, 0.3, 0.0, -0.2],
            "ci_high": [0.0, 1.5, 0.8, 0.0],
            "df": [14, 14, 14, 14],
            "odds_ratio": [0.82, 2.46, 1.49, 0.90],
            "or_ci_low": [0.67, 1.35, 1.0, 0.82],
            "or_ci_high": [1.0, 4.48, 2.23, 1.0],
            "p_value": [0.05, 0.01, 0.06, 0.04],
            "n": [212, 212, 212, 212],
        }
    ).to_csv(det, index=False)
    args = dict(fixture_round.args, paths=dict(fixture_round.args["paths"], determinants=str(det)))
    html = render_report(**args, out=str(tmp_path / "d.html"), environ={})
    page = Page(html)
    rows = [r["cells"] for r in page.table("determinants-table")[1:]]
    assert rows == [
        ["Consumption quintile (reference: 1 (poorest))"],
        ["1 (poorest)", "1", "reference", ""],
        ["5 (richest)", "2.46", "1.35\u20134.48", "0.010"],
        ["Insurance (reference: Not insured)"],
        ["Not insured", "1", "reference", ""],
        ["Insured", "1.49", "1.00\u20132.23", "0.060"],
        ["Travel time to the health centre (per 30 minutes)"],
        ["per unit", "0.90", "0.82\u20131.00", "0.040"],
    ]
    assert "0.82" not in " ".join(" ".join(r) for r in rows[:-1])  # intercept's OR not shown
    assert "(N = 212 persons, df = 14)" in html


def test_national_figures_cited_with_year_source_and_caveat(fixture_round):
    comparison = pd.read_csv(
        fixture_round.args["paths"]["comparison"], keep_default_na=False, dtype=str
    )
    html = fixture_round.html
    page = fixture_round.page
    rows = page.table("comparison-table")
    catalogue = _catalogue(fixture_round.args["paths"]["catalogue"])
    main_rows = [r for r in rows[1:] if len(r["cells"]) == 6]
    with_figure = comparison.loc[comparison["status"] != "no national figure"]
    assert len(main_rows) == len(with_figure)
    for r, c in zip(main_rows, with_figure.to_dict("records"), strict=True):
        # The local estimate in the indicator's own unit (not the national figure's unit).
        unit = catalogue[c["indicator"]]["unit"]
        expected = "*" if c["flag"] == "suppressed" else _fmt(float(c["estimate"]), unit)
        assert r["cells"][2].strip("()").startswith(expected), (c["indicator"], r["cells"][2])
        if c["comparability"] == "context_only":
            assert r["cells"][4] == ""  # never compared: no difference shown
    for c in comparison.to_dict("records"):
        if c["status"] == "no national figure":
            # listed by name under the table: none was invented
            note = re.search(r'<p class="note" id="no-national-figure">(.*?)</p>', html, re.S)
            label = (c["label"] or c["indicator"]).replace("&", "&amp;").replace(">", "&gt;")
            assert note and label in note.group(1)
            continue
        block = html[html.index(f'id="cmp-{c["comparator_id"]}"') :]
        block = block[: block.index("</tbody>")]
        text = Page(block)
        src = " ".join(" ".join(r["cells"]) for r in text.rows)
        assert f"({c['national_year']})" in src
        for part in (c["source"], c["table_page"], c["caveat"].rstrip(".")):
            assert part and part.replace("&", "&amp;") in block.replace("&#39;", "'"), part[:40]
    # Never an invented figure: every national value shown comes from the comparison table.
    shown = set(re.findall(r"(\d+\.\d)(?:\xa0|&nbsp;| )% \(", html))
    assert len(shown) >= 5
    known = {
        f"{float(v) * 100:.1f}" if u == "fraction" else f"{float(v):.1f}"
        for v, u in zip(comparison["national_value"], comparison["national_unit"], strict=True)
        if v
    }
    assert shown <= known | _local_percents(fixture_round)


def _local_percents(fr) -> set[str]:
    ind = pd.read_csv(fr.args["paths"]["indicators"], keep_default_na=False)
    return {f"{x * 100:.1f}" for x in pd.to_numeric(ind["estimate"])}


def test_one_conventions_note_per_section(fixture_round):
    """Each indicators section states the table conventions once (after its overall table),
    not after every breakdown table; every other table still has its own note."""
    html = fixture_round.html
    sections = re.findall(
        r'<section id="([a-z_]+)" class="kind-(\w+)[^"]*">(.*?)</section>', html, re.S
    )
    # the sections of config/report.yaml in its order, each indicators section that holds an
    # indicator of the fixture's catalogue among them
    keys = [k for k, _, _ in sections]
    assert keys == [k for k in section_keys() if k in keys]
    used = {
        e.get("section", "other")
        for e in _catalogue(fixture_round.args["paths"]["catalogue"]).values()
    }
    assert {k for k in section_keys("indicators") if k in used} <= set(keys)
    for key, kind, body in sections:
        notes = body.count('class="note conventions"')
        if kind == "indicators":
            assert notes == 1, key
            note = re.search(r'<p class="note conventions">(.*?)</p>', body, re.S).group(1)
            assert "The small-sample rule counts the <em>unweighted denominator</em>" in note
            assert "&dagger;" in note and "&Dagger;" in note and "precision_note" in note
            assert "below 25" in note and "25&ndash;49" in note
            assert body.index('class="note conventions"') < body.find('class="est by"') or (
                'class="est by"' not in body
            )
        for t in re.findall(r'<table class="est (?!by)[^"]*".*?</table>\s*<[^>]+>', body, re.S):
            assert re.search(r'<p class="note[^"]*"[^>]*>$', t), (key, t[:100])


def test_provenance(fixture_round):
    html = fixture_round.html
    prov = html[html.index('id="provenance"') :]
    for pkg in ("pandas", "numpy", "scipy", "statsmodels", "pyreadstat", "snakemake"):
        assert f"{pkg} " in prov
    for pkg in ("matplotlib", "seaborn", "jinja2"):
        assert pkg in prov
    manifest = pd.read_csv(fixture_round.args["paths"]["manifest"])
    for h in manifest["sha256"]:
        assert h in prov
    assert re.search(r"<dt>Code version</dt><dd><code>[^<]+</code></dd>", prov)
    # the configuration is a file beside the report, one row per setting, keys sorted
    assert '<pre class="config">' not in prov and 'href="report_files/configuration.csv"' in prov
    cfg = pd.read_csv(fixture_round.out.parent / "report_files" / "configuration.csv")
    assert cfg["key"].tolist() == sorted(cfg["key"].tolist())
    assert "indicators.suppress_below" in set(cfg["key"])
    assert cfg.set_index("key").loc["indicators.suppress_below", "value"] == "25"


def test_other_specify_answers_listed_with_counts(fixture_round):
    rows = fixture_round.page.table("scheme-other")
    assert [r["cells"] for r in rows[1:]] == [["Military insurance", "2"], ["Company scheme", "1"]]


# --------------------------------------------------------------------------- escaping


def test_hostile_text_is_escaped(hostile_round):
    html = hostile_round.html
    assert "<script" not in html.lower()
    assert "<img src=x" not in html and "onerror=alert" not in html.replace(
        "&lt;img src=x onerror=alert(1)&gt;", ""
    )
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Tom &amp; Jerry&#39;s &#34;fund&#34;" in html
    assert "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;alert(4)&lt;/script&gt;" in html
    for lao in ("ປະກັນສັງຄົມ", "ໄກເກີນໄປ"):
        assert lao in html  # UTF-8, not entities
    assert '<td class="verbatim" lang="lo">ປະກັນສັງຄົມ</td>' in html
    page = hostile_round.page
    # The village names are in the villages file beside the report, as text
    villages = pd.read_csv(hostile_round.out.parent / "report_files" / "villages.csv", dtype=str)
    names = dict(zip(villages["village"], villages["name"], strict=True))
    assert names["101"] == "<script>alert(1)</script>"
    assert names["102"] == "<img src=x onerror=alert(1)>"
    assert dict(zip(villages["village"], villages["name_lao"], strict=True))["102"] == (
        "ບ້ານ<script>alert(2)</script>"
    )
    assert names["103"] == "Ban \"Quoted\" & 'Single' <b>bold</b>"
    answers = [r["cells"][0] for r in page.table("scheme-other")[1:]]
    assert set(answers) == set(rf.HOSTILE_SCHEME)
    reasons = [r["cells"][0] for r in page.table("reason-other")[1:]]
    assert set(reasons) == set(rf.HOSTILE_REASON)
    # No element or attribute came from the data.
    assert {t for t, _ in page.tags} <= {
        "html", "head", "meta", "title", "style", "body", "header", "p", "strong", "h1", "nav",
        "h2", "ol", "li", "a", "main", "section", "span", "table", "caption", "tbody", "tr",
        "th", "td", "thead", "sub", "h3", "em", "figure", "img", "figcaption", "code", "br",
        "ul", "pre", "dl", "dt", "dd", "footer", "sup", "div",
    }  # fmt: skip
    assert not any(k.startswith("on") for _, a in page.tags for k in a)


# --------------------------------------------------------------------------- rule script


def test_render_report_script_main(fixture_round, tmp_path, monkeypatch):
    """The thin rule script passes the rule's named inputs through unchanged."""
    a = fixture_round.args
    inputs = {k: v for k, v in a["paths"].items() if k != "determinants"}
    inputs |= {"template": a["template"], "css": a["css"], "figures": a["figure_paths"]}
    inputs["determinants"] = []
    params = {k: a[k] for k in ("round_meta", "figure_names", "config")}
    # The checkout may change while tests run (other work in progress): fix the code version.
    monkeypatch.setattr("hhsurvey.outputs.report.provenance.code_version", lambda repo: "v-test")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    page = rf.run_rule_script("render_report.py", inputs, params, tmp_path / "a" / "r.html")
    assert page == render_report(**fixture_round.args, out=str(tmp_path / "b" / "r.html"))


def test_only_one_place_marks_html_as_trusted():
    """No template uses |safe or turns autoescape off; Markup is built in one function only."""
    for tpl in (REPO / "report" / "templates").glob("*.j2"):
        text = tpl.read_text(encoding="utf-8")
        assert not re.search(r"\|\s*safe\b|autoescape\s+false|\|\s*e\b", text, re.I), tpl.name
    lib = REPO / "scripts" / "hhsurvey"
    sources = {
        p.relative_to(lib).as_posix(): p.read_text(encoding="utf-8") for p in lib.rglob("*.py")
    }
    users = {n: len(re.findall(r"\bMarkup\(", t)) for n, t in sources.items()}
    assert {n: k for n, k in users.items() if k} == {"outputs/report/render.py": 1}
    src = sources["outputs/report/render.py"]
    assert re.search(r"def trusted\(.*?\n(?:.*\n)*?\s+return Markup\(", src)


# --------------------------------------------------------------------------- declarative spec


def test_catalogue_edit_alone_places_an_indicator_with_its_breakdown(tmp_path):
    """Proof of issue 14: in a temporary copy, one catalogue entry (no code, no template, no
    report.yaml edit) puts a household indicator with a quintile breakdown in the financial
    protection section, with its breakdown table, and nowhere else."""
    new = {
        "id": "che_sdg_15",
        "label": "Catastrophic health spending above 15% (population)",
        "unit": "percent",
        "unit_of_analysis": "household_pop",
        "definition": "budget_share > 0.15",
        "estimator": "proportion",
        "by": ["area", "quintile"],
        "standard": "test entry",
        "section": "protection",
        "show_by": ["quintile"],
    }
    args = rf.write_round(tmp_path, extra_catalogue=[new], with_figures=False)
    args["figure_paths"] = []
    args["figure_names"] = []
    html = render_report(**args, out=str(tmp_path / "r.html"), environ={})
    page = Page(html)
    ind = pd.read_csv(args["paths"]["indicators"], keep_default_na=False)
    mine = ind.loc[ind["indicator"] == "che_sdg_15"]
    # Where it appears: the protection table, its own breakdown table; the annex lists it.
    tables = {r["table"] for r in page.rows if r["attrs"].get("data-indicator") == "che_sdg_15"}
    assert tables == {"table-protection"}
    by = page.table("by-che_sdg_15")
    groups = [r["cells"][0] for r in by if "group" in r["attrs"].get("class", "")]
    assert groups == ["Consumption quintile"]  # area is estimated but not shown
    shown = {r["cells"][0]: r["cells"][1] for r in by[1:] if len(r["cells"]) == 5}
    for r in mine.loc[mine["domain"] == "quintile"].to_dict("records"):
        level = {"1": "1 (poorest)", "5": "5 (richest)"}.get(str(r["level"]), str(r["level"]))
        expected = "*" if r["flag"] == "suppressed" else f"{r['estimate'] * 100:.1f}"
        assert shown[level].strip("()") == expected, level
    section = re.search(r'<section id="protection".*?</section>', html, re.S).group(0)
    assert 'id="by-che_sdg_15"' in section
    # Nowhere else: not a key finding, no other breakdown table, not in the quintile table.
    assert "che_sdg_15" not in page.findings
    outside = html.replace(section, "")
    main_body = outside[: outside.index('<section id="quality"')]
    assert "che_sdg_15" not in main_body
    assert "Catastrophic health spending above 15%" not in main_body


def test_report_py_selects_no_section_by_id_prefix():
    src = "\n".join(
        (REPO / "scripts" / "hhsurvey" / "outputs" / "report" / f).read_text(encoding="utf-8")
        for f in ("build.py", "tables.py", "context.py", "spec.py")
    )
    assert not re.search(r"(iid|indicator_id|\.id)\.startswith\(", src)
    assert "prefixes" not in src and "section_of(iid, unit)" not in src


def test_executive_summary_slots_render_only_when_filled(fixture_round, tmp_path):
    """summary.messages (text + indicator ids) and summary.cascade_svg are the slots another
    stage fills; absent, the summary shows the key findings only."""
    assert (
        '<ul class="key-messages"' not in fixture_round.html
        and 'id="fig-cascade"' not in fixture_round.html
    )
    svg = Path(fixture_round.args["figure_paths"][0]).read_bytes()
    html = render_report(
        **fixture_round.args,
        out=str(tmp_path / "s.html"),
        environ={},
        summary={
            "messages": [{"text": "About 1 in 14 <b>people</b>", "indicators": ["che_sdg_10"]}],
            "cascade_svg": svg,
        },
    )
    summary = html[html.index('<section id="summary"') : html.index('<section id="survey"')]
    assert (
        '<li data-indicators="che_sdg_10">About 1 in 14 &lt;b&gt;people&lt;/b&gt;</li>' in summary
    )
    assert 'id="fig-cascade"' in summary and base64.b64encode(svg).decode() in summary


def test_indicator_not_in_the_instrument_never_reads_zero(fixture_round):
    """coverage_nhi needs scheme category "nhi", which the baseline codebook lacks."""
    row = next(
        r
        for r in fixture_round.page.table("table-coverage")
        if r["attrs"].get("data-indicator") == "coverage_nhi"
    )
    assert row["cells"][1] == "not in this round's instrument"
    est = pd.read_csv(
        fixture_round.out.parent / "report_files" / "estimates.csv", keep_default_na=False
    )
    nhi = est.loc[est["indicator"] == "coverage_nhi"]
    assert len(nhi) and (nhi["estimate"] == "").all()
    assert (nhi["note"] == "not in this round's instrument").all()


def test_report_states_how_many_answers_were_post_coded(fixture_round, tmp_path):
    log = pd.read_csv(fixture_round.args["paths"]["cleaning_log"], dtype=str)
    extra = pd.DataFrame(
        {
            "table": ["person", "person"],
            "keys": ["village=101, hh=1, line=1", "village=101, hh=2, line=1"],
            "variable": ["scheme", "scheme"],
            "old_value": ["other", "other"],
            "new_value": ["military_police", "military_police"],
            "rule": ["post_code", "post_code"],
            "reason": ["'other, specify' answer 'army card' post-coded"] * 2,
        }
    )
    path = tmp_path / "cleaning_log.csv"
    pd.concat([log, extra], ignore_index=True).to_csv(path, index=False)
    args = dict(fixture_round.args, paths=dict(fixture_round.args["paths"], cleaning_log=str(path)))
    html = render_report(**args, out=str(tmp_path / "p.html"), environ={})
    note = re.search(r'<p class="postcoded" id="post-coded">(.*?)</p>', html, re.S).group(1)
    assert (
        note.startswith("2 &ldquo;other, specify&rdquo; answers") and "2 to military police" in note
    )
    assert "post-coded to it (2 answers in this round)" in html
    assert '<p class="postcoded" id="post-coded">No &ldquo;other, specify&rdquo; answer was' in (
        fixture_round.html
    )


def test_result_tables_download_from_the_page(fixture_round):
    """The files beside the report are linked relatively and embedded byte for byte as
    downloads of the page (screen only); national_comparison.csv and validation.csv are the
    round's own tables, estimates.csv is indicators.csv with label, unit and note."""
    links = {
        a["download"]: a["href"] for t, a in fixture_round.page.tags if t == "a" and "download" in a
    }
    folder = fixture_round.out.parent / "report_files"
    for name, data_uri in links.items():
        assert base64.b64decode(data_uri.split(",", 1)[1]) == (folder / name).read_bytes(), name
    paths = fixture_round.args["paths"]
    for name, key in (
        ("national_comparison.csv", "comparison"),
        ("validation.csv", "validation_findings"),
    ):
        assert (folder / name).read_bytes() == Path(paths[key]).read_bytes(), name
    est = pd.read_csv(folder / "estimates.csv", keep_default_na=False, dtype=str)
    ind = pd.read_csv(paths["indicators"], keep_default_na=False, dtype=str)
    assert est.drop(columns=["label", "unit", "note"]).columns.tolist() == ind.columns.tolist()
    for name in ("estimates.xlsx", "configuration.xlsx", "definitions.csv", "villages.csv"):
        assert name in links


def test_code_version_outside_a_git_checkout_names_the_sources(tmp_path):
    """A copy without git history (a release archive, the change report's run in a copy)
    still names its code: the SHA-256 over the library's sources, never "unknown"."""
    import hashlib

    from hhsurvey.outputs.report.provenance import code_version

    lib = REPO / "scripts" / "hhsurvey"
    h = hashlib.sha256()
    for f in sorted(lib.rglob("*.py")):
        h.update(f.relative_to(lib).as_posix().encode("utf-8") + b"\0" + f.read_bytes())
    version = code_version(tmp_path)
    assert version == f"sources sha256:{h.hexdigest()[:16]} (no git checkout)"
    assert "unknown" not in version
