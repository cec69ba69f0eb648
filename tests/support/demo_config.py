"""The demo configuration's ids, read straight from the YAML files under config/.

Tests derive what they expect (catalogue ids, report sections and figures, scenario packages,
brief languages) from here instead of pinning the demo's values, so that growing the
catalogue, adding a report section, a package or a language needs no test edit. The files are
read with ``yaml.safe_load`` and nothing else, never through the library's loaders: many of
the tests that use this module check those loaders, and their expectation must not come from
the code under test.

A test that uses one id as a worked example (a hand calculation for ``che_sdg_10``) keeps it
and calls :func:`require_ids`, which skips with a message naming the id once it has left the
catalogue.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import pytest
import yaml
from testpaths import REPO

CONFIG_DIR = REPO / "config"


@cache
def _read(relpath: str) -> Any:
    return yaml.safe_load((REPO / relpath).read_text(encoding="utf-8"))


def config(name: str = "config.yaml") -> dict[str, Any]:
    """A configuration file of config/ as plain data (a fresh copy: tests may edit it)."""
    return copy.deepcopy(_read(f"config/{name}"))


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """*over* merged into a copy of *base* as Snakemake merges a --configfile: mappings are
    merged key by key, every other value (lists included) is replaced."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def catalogue() -> list[dict[str, Any]]:
    """The entries of the catalogue that config.yaml names (indicators.catalogue)."""
    path = _read("config/config.yaml")["indicators"]["catalogue"]
    return copy.deepcopy(_read(path)["indicators"])


def catalogue_ids() -> list[str]:
    """Every indicator id of the catalogue, in catalogue order."""
    return [e["id"] for e in catalogue()]


def headline_ids() -> list[str]:
    return [e["id"] for e in catalogue() if e.get("headline")]


def sections(kind: str | None = None) -> list[dict[str, Any]]:
    """The report's sections (config/report.yaml), in printed order; only *kind* if given."""
    return [
        copy.deepcopy(s)
        for s in _read("config/report.yaml")["sections"]
        if kind is None or s["kind"] == kind
    ]


def section_keys(kind: str | None = None) -> list[str]:
    return [s["key"] for s in sections(kind)]


def figures(report: str = "round") -> list[str]:
    """Names of the figure registry's figures of one report ("round" or "change")."""
    registry = _read("config/report.yaml")["figures"]
    return [name for name, f in registry.items() if f.get("report", "round") == report]


def packages(cfg: dict[str, Any] | None = None) -> list[str]:
    """Ids of the benefit packages (scenarios.packages), in configuration order."""
    cfg = _read("config/config.yaml") if cfg is None else cfg
    return [p["id"] for p in (cfg.get("scenarios") or {}).get("packages") or []]


def languages(round_name: str = "baseline", cfg: dict[str, Any] | None = None) -> list[str]:
    """Languages of a round's brief: the round's own ``languages``, else report.languages."""
    cfg = _read("config/config.yaml") if cfg is None else cfg
    own = cfg["rounds"][round_name].get("languages")
    return list(own or cfg["report"]["languages"])


def briefs(cfg: dict[str, Any] | None = None) -> int:
    """Number of briefs a run makes: one per analysed round and language of that round."""
    cfg = _read("config/config.yaml") if cfg is None else cfg
    return sum(len(languages(r, cfg)) for r in cfg["analyse"])


def require_ids(*ids: str) -> None:
    """Skip the calling test when an id it uses as a worked example left the catalogue."""
    missing = [i for i in ids if i not in set(catalogue_ids())]
    if missing:
        pytest.skip(
            f"worked example on {missing}, which config/indicators.yaml no longer holds: "
            "update or remove the example"
        )
