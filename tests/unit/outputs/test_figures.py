"""Figures: palette, determinism, curves computed right, flags respected, units on axes."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure

from hhsurvey.outputs.figures import charts as F

NAN = float("nan")


def _ind(rows):
    base = {"se": 0.01, "df": 10, "deff": 1.5, "n_unweighted": 100, "n_weighted": 1000.0}
    return pd.DataFrame([base | r for r in rows])


def _row(iid, est, flag="", domain="total", level="total", lo=None, hi=None):
    return {
        "indicator": iid,
        "domain": domain,
        "level": level,
        "estimate": est,
        "ci_low": est * 0.8 if lo is None else lo,
        "ci_high": est * 1.2 if hi is None else hi,
        "flag": flag,
    }


@pytest.fixture
def households():
    rng = np.random.default_rng(3)
    n = 60
    total = rng.gamma(3, 1e7, n)
    oop = np.where(rng.uniform(size=n) < 0.5, total * rng.uniform(0, 0.4, n), 0.0)
    hhsize = rng.integers(1, 8, n)
    weight = rng.uniform(20, 60, n)
    return pd.DataFrame(
        {
            "village": np.repeat([1, 2, 3], n // 3),
            "hh": np.tile(np.arange(n // 3), 3),
            "weight": weight,
            "hhsize": hhsize,
            "oop": oop,
            "total": total,
            "pc_total": total / hhsize,
            "budget_share": oop / total,
            "pop_weight": weight * hhsize,
        }
    )


def test_backend_and_palette_are_fixed():
    assert matplotlib.get_backend().lower() == "agg"
    # Okabe & Ito (2008), the colour-blind-safe qualitative palette, in its canonical order.
    assert F.PALETTE == [
        "#0072B2",
        "#E69F00",
        "#009E73",
        "#CC79A7",
        "#56B4E9",
        "#D55E00",
        "#F0E442",
        "#000000",
    ]
    F.setup_style()
    cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    assert [matplotlib.colors.to_hex(c) for c in cycle[:3]] == ["#0072b2", "#e69f00", "#009e73"]


def test_headcount_curve_by_hand():
    share = np.array([0.05, 0.15, 0.30, np.nan])
    weight = np.array([1.0, 2.0, 3.0, 4.0])
    z = np.array([0.0, 0.10, 0.20, 0.30])
    # z=0: the three known shares are > 0 (6 of 10); the missing share counts as not above.
    np.testing.assert_allclose(F.headcount_curve(share, weight, z), [0.6, 0.5, 0.3, 0.0])
    np.testing.assert_allclose(F.che_grid(0.4, 0.01)[[0, 10, 40]], [0.0, 0.1, 0.4])
    assert len(F.che_grid(0.4, 0.01)) == 41


def test_concentration_points_by_hand():
    h = pd.DataFrame(
        {
            "village": [1, 1, 2],
            "hh": [1, 2, 1],
            "pc_total": [300.0, 100.0, 200.0],  # ranks: hh(1,2) < hh(2,1) < hh(1,1)
            "pop_weight": [2.0, 1.0, 1.0],
            "weight": [1.0, 1.0, 1.0],
            "oop": [0.0, 30.0, 10.0],
        }
    )
    x, y = F.concentration_points(h, "oop")
    np.testing.assert_allclose(x, [0, 0.25, 0.5, 1.0])
    np.testing.assert_allclose(y, [0, 0.75, 1.0, 1.0])


def test_svg_is_byte_identical_and_undated(tmp_path, households):
    ind = _ind([_row("che_sdg_10", 0.2), _row("che_sdg_25", 0.05)])
    paths = []
    for i in range(2):
        p = tmp_path / f"che{i}.svg"
        F.save_svg(F.che_curve(households, ind, z_max=0.4, z_step=0.01), p)
        paths.append(p)
    a, b = (p.read_bytes() for p in paths)
    assert a == b
    assert b"<dc:date>" not in a and a.startswith(b"<?xml")


def test_suppressed_points_are_not_drawn_and_caution_is_hollow():
    ind = _ind(
        [
            _row("first_provider_public", 0.5),
            _row("first_provider_private", 0.1, "suppressed"),
            _row("first_provider_pharmacy", 0.2, "caution"),
        ]
    )
    ids = ["first_provider_public", "first_provider_private", "first_provider_pharmacy"]
    label = "First provider public (hospital or health centre), among those who sought care"
    fig = F.provider_mix(ind, ids, {"first_provider_public": label})
    ax = fig.axes[0]
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 2
    faces = [c.lines[0].get_markerfacecolor() for c in bars]
    assert "white" in faces and faces.count("white") == 1
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "Public (hospital or health centre)"  # first id, prefix/suffix cut


def test_national_comparison_draws_same_unit_pairs_only():
    comp = pd.DataFrame(
        {
            "indicator": ["coverage_any", "oop_budget_share_mean", "u5_ari_care", "care_seeking"],
            "label": ["Coverage", "OOP share", "ARI care", "Care"],
            "estimate": [0.3, 0.05, np.nan, 0.5],
            "ci_low": [0.25, 0.04, np.nan, 0.4],
            "ci_high": [0.35, 0.06, np.nan, 0.6],
            "flag": ["", "", "suppressed", "caution"],
            "national_value": [0.275, 48.6, np.nan, 0.21],
            "national_year": ["2012", "2012", "", "2007/08"],
            "national_unit": ["fraction", "percent_che", "", "fraction"],
            "comparability": ["definition_differs", "context_only", "", "context_only"],
        }
    )
    fig = F.national_comparison(comp)
    ax = fig.axes[0]
    assert len(ax.get_yticks()) == 2  # the percent_che and the no-figure rows are left out
    assert ax.get_xlabel() == "Percent (%)"
    F.save_svg(fig, "/dev/null")


def test_axis_labels_carry_units(households):
    ind = _ind(
        [
            _row("oop_annual_hh_mean", 300_000.0, domain="quintile", level=str(q))
            for q in range(1, 6)
        ]
        + [_row("oop_annual_hh_mean", 300_000.0)]
    )
    fig = F.oop_by_quintile(ind)
    assert "LAK" in fig.axes[0].get_ylabel()
    fig = F.che_curve(households, ind, z_max=0.4, z_step=0.01)
    assert "%" in fig.axes[0].get_xlabel() and "%" in fig.axes[0].get_ylabel()


def test_design_based_curve_is_drawn_with_its_band():
    rows = [
        _row("che_curve", 0.5 - z, domain="threshold", level=f"{z:.2f}", lo=0.4 - z, hi=0.6 - z)
        for z in np.round(np.arange(0, 0.41, 0.1), 2)
    ]
    fig = F.che_curve(None, _ind(rows), z_max=0.4, z_step=0.1)
    ax = fig.axes[0]
    assert ax.collections, "confidence band"
    xs = ax.lines[0].get_xdata()
    np.testing.assert_allclose(xs, [0, 10, 20, 30, 40])


def test_empty_inputs_give_a_message_not_an_error(tmp_path):
    empty = _ind([_row("coverage_any", 0.3)])
    comp = pd.DataFrame(
        columns=[
            "indicator",
            "label",
            "estimate",
            "ci_low",
            "ci_high",
            "flag",
            "national_value",
            "national_year",
            "national_unit",
            "comparability",
        ]
    )
    figs = [
        F.national_comparison(comp),
        F.quintile_gradient(empty, ["coverage_any"], {}),
        F.che_curve(None, empty, z_max=0.4, z_step=0.01),
        F.concentration_curve(None),
        F.oop_by_quintile(empty),
        F.provider_mix(empty, ["first_provider_public"], {}),
    ]
    for fig in figs:
        assert isinstance(fig, Figure)
        texts = [t.get_text() for ax in fig.axes for t in ax.texts]
        assert any("not estimated" in t or "No national figure" in t for t in texts), texts
        F.save_svg(fig, tmp_path / "x.svg")


def test_dollar_signs_in_labels_are_literal(tmp_path):
    ind = _ind(
        [_row("impoverished_215", 0.1, domain="quintile", level=str(q)) for q in range(1, 6)]
    )
    labels = {"impoverished_215": "Impoverished at US$2.15 a day and $1.90 (2011 PPP)"}
    fig = F.quintile_gradient(ind, ["impoverished_215"], labels)
    F.save_svg(fig, tmp_path / "q.svg")  # mathtext would fail on an unmatched formula


def test_make_figures_rejects_unknown_names(tmp_path):
    with pytest.raises(ValueError, match="unknown figure"):
        F.make_figures(
            ["pie_chart"],
            [tmp_path / "x.svg"],
            indicators=_ind([]),
            comparison=pd.DataFrame(),
            households=None,
            labels={},
            plotted={},
            che_curve_max=0.4,
            che_curve_step=0.01,
        )


def test_figure_registry_names_existing_builders():
    """config/report.yaml is the one registry: each round figure's builder is in BUILDERS,
    each change figure's builder is a public function of the module."""
    from hhsurvey.outputs.report.spec import DEFAULT_SPEC, load_report_spec

    spec = load_report_spec(DEFAULT_SPEC)
    assert spec.figure_names("round") and spec.figure_names("change")
    for name, f in spec.figures.items():
        if f.report == "round":
            assert f.builder in F.BUILDERS, name
        else:
            assert f.builder in F.__all__ and callable(getattr(F, f.builder)), name


def test_a_structural_zero_is_not_plotted_as_zero():
    """Impoverishment in the poorest fifth is impossible by construction (flag "not
    applicable", no estimate): no point at quintile 1, the words "n/a" instead."""
    rows = [_row("impoverished_national", 0.0, "not applicable", "quintile", "1", NAN, NAN)]
    rows += [_row("impoverished_national", e, "", "quintile", str(q)) for q, e in
             ((2, 0.08), (3, 0.01), (4, 0.02), (5, 0.03))]  # fmt: skip
    ind = _ind(rows)
    ind.loc[0, "estimate"] = NAN
    fig = F.quintile_gradient(ind, ["impoverished_national"], {})
    ax = fig.axes[0]
    xs = {
        float(x)
        for line in ax.lines
        for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)
        if np.isfinite(y)
    }
    assert 1.0 not in xs and {2.0, 3.0, 4.0, 5.0} <= xs
    notes = [(t.get_text(), t.xy[0]) for t in ax.texts]
    assert ("n/a", 1) in notes
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "n/a not applicable (impossible by construction)" in legend
