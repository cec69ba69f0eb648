"""Checks of the round configuration made when the workflow is parsed.

* A round that the user's own configuration describes under ``rounds:`` but that is absent
  from ``analyse:`` is never run: a warning names it. The rounds of config/config.yaml that a
  ``--configfile`` merely inherits (the demo baseline under a user's own round) are not the
  user's doing and give no warning.
* ``rounds.<endline>.revisits: <baseline>`` claims the endline revisits the baseline's villages
  (shared PSUs, so the covariance between rounds enters the SE of the change). The claim is
  measured on the two frames (``frame`` table of each codebook, selected = 1): the number and
  share of the baseline's selected villages that the endline selects too, and whether the
  frames agree on the shared villages (same stratum and measure of size). Below
  ``design.revisit_min_share`` the config is refused; the numbers are written by the rule
  ``summarise_revisits`` to ``results/change/revisits.csv`` for the change report.
* The languages of a round's brief (:func:`brief_languages`), which name the brief jobs.
* The fence (:func:`check_paths`): every path the config names stays inside the project, a
  round's ``raw_dir`` inside ``raw/``; and every year the CPI must convert is in the CPI table
  (:func:`check_price_years`). Each refusal is one message naming the key (docs/security.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from hhsurvey.errors import InputError
from hhsurvey.paths import is_inside
from hhsurvey.survey.codebook.model import load_codebook
from hhsurvey.survey.io import outside_round, read_raw
from hhsurvey.yamlsafe import load_yaml

DEFAULT_CONFIG = "config/config.yaml"
REVISIT_COLUMNS = [
    "round",
    "revisits",
    "baseline_villages",
    "endline_villages",
    "shared_villages",
    "shared_share",
    "frames_agree",
    "frame_differences",
    "min_share",
]


def unanalysed_rounds(config: dict, described: set[str] | None = None) -> list[str]:
    """Rounds described under ``rounds:`` that ``analyse:`` does not list; with ``described``,
    only those (the rounds the user's own configuration files describe)."""
    analysed = set(config.get("analyse") or [])
    return [
        r
        for r in config.get("rounds") or {}
        if r not in analysed and (described is None or r in described)
    ]


def described_rounds(config_files: list[str | Path]) -> set[str]:
    """The rounds described under ``rounds:`` in these configuration files themselves."""
    out: set[str] = set()
    for f in config_files:
        try:
            doc = load_yaml(Path(f).read_text(encoding="utf-8"), str(f)) or {}
        except (OSError, InputError):
            continue
        rounds = doc.get("rounds") if isinstance(doc, dict) else None
        out |= set(rounds or {})
    return out


def own_config_files(config_files: list[str]) -> list[str]:
    """The user's own configuration: the --configfile(s) of the run, or config/config.yaml
    when there is none."""
    return [f for f in config_files if f != DEFAULT_CONFIG] or [DEFAULT_CONFIG]


def brief_languages(config: Mapping[str, Any], round_name: str) -> list[str]:
    """Languages of a round's brief: the round's own ``languages``, else ``report.languages``
    (en and lo when neither is set, the schema's default)."""
    own = (config.get("rounds") or {}).get(round_name, {}).get("languages")
    return list(own or (config.get("report") or {}).get("languages") or ["en", "lo"])


def unanalysed_warning(rounds: list[str], config_files: list[str]) -> str:
    return (
        f"WARNING: round(s) {rounds} are described under `rounds:` but not listed in "
        f"`analyse:`, so this run does not analyse them.\n  where: {', '.join(config_files)}\n"
        f"  how to fix: add them to `analyse:` (e.g. analyse: [..., {rounds[0]}]) if they "
        "should be run; otherwise nothing to do"
    )


def selected_frame(round_config: dict) -> pd.DataFrame:
    """The frame of a round in canonical names: village, stratum, mos_hh, selected."""
    cb = load_codebook(round_config["codebook"])
    t = cb.tables["frame"]
    if (err := outside_round(round_config["raw_dir"], t, cb)) is not None:
        raise err
    raw = read_raw(Path(round_config["raw_dir"]) / t.file)
    cols = {
        c.raw: c.name
        for c in t.columns.values()
        if c.name in ("village", "area", "mos_hh", "selected")
    }
    df = raw.data[[c for c in cols if c in raw.data.columns]].rename(columns=cols)
    for c in df.columns:
        df[c] = pd.to_numeric(df[c], errors="coerce")
    return df


def revisit_overlap(base: pd.DataFrame, end: pd.DataFrame) -> dict:
    """Shared selected villages of two frames and whether the frames agree on them."""
    b = base[base["selected"] == 1].set_index("village")
    e = end[end["selected"] == 1].set_index("village")
    shared = b.index.intersection(e.index)
    diffs = []
    all_shared = base.set_index("village").index.intersection(end.set_index("village").index)
    if len(all_shared) != len(base) or len(all_shared) != len(end):
        diffs.append(
            f"{len(base)} and {len(end)} villages in the frames, {len(all_shared)} in both"
        )
    bb, ee = base.set_index("village"), end.set_index("village")
    for col in ("area", "mos_hh"):
        if col in bb.columns and col in ee.columns:
            differ = [v for v in all_shared if bb.at[v, col] != ee.at[v, col]]
            if differ:
                diffs.append(f"{col} differs for village(s) {sorted(int(v) for v in differ)[:10]}")
    return {
        "baseline_villages": len(b),
        "endline_villages": len(e),
        "shared_villages": len(shared),
        "shared_share": len(shared) / len(b) if len(b) else 0.0,
        "frames_agree": not diffs,
        "frame_differences": "; ".join(diffs),
    }


def check_revisits(config: dict, config_files: list[str]) -> pd.DataFrame:
    """One row per round with ``revisits:`` (InputError below ``design.revisit_min_share``),
    and one for the endline of ``change:`` when it is an independent sample (``revisits`` blank)."""
    min_share = float(config.get("design", {}).get("revisit_min_share", 0.8))
    rows = []
    for name, rc in (config.get("rounds") or {}).items():
        base = rc.get("revisits")
        if not base:
            continue
        where = f"{', '.join(config_files)}: rounds.{name}.revisits"
        if base not in config["rounds"]:
            raise InputError(
                f"round {name} revisits '{base}', which is not described under `rounds:`",
                where,
                "name a round of the config, or set revisits: null",
            )
        o = revisit_overlap(selected_frame(config["rounds"][base]), selected_frame(rc))
        rows.append({"round": name, "revisits": base, **o, "min_share": min_share})
        if o["shared_share"] < min_share:
            raise InputError(
                f"round {name} is said to revisit the villages of {base}, but it shares only "
                f"{o['shared_villages']} of the {o['baseline_villages']} villages selected at "
                f"{base} ({o['shared_share']:.0%}, below design.revisit_min_share = "
                f"{min_share:.0%}); the frames "
                + ("agree" if o["frames_agree"] else f"differ: {o['frame_differences']}"),
                where,
                "set revisits: null if the endline drew a new sample of villages (the rounds are "
                "then independent samples), or correct the `selected` column of the frames",
            )
    change = config.get("change") or {}
    b, e = change.get("baseline"), change.get("endline")
    rounds = config.get("rounds") or {}
    if b in rounds and e in rounds and not rounds[e].get("revisits"):
        # independent samples: the overlap is still worth a line in the change report
        o = revisit_overlap(selected_frame(rounds[b]), selected_frame(rounds[e]))
        rows.append({"round": e, "revisits": "", **o, "min_share": min_share})
    return pd.DataFrame(rows, columns=REVISIT_COLUMNS)


#: Folder that holds every round's raw folder (``rounds.<round>.raw_dir``), in the project.
RAW_ROOT = "raw"


def config_paths(config: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(key, path, folder it must stay in) of every input path the config names: each round's
    raw folder (under ``raw/``) and codebook, the catalogue, the national reference table, the
    brief's specification and the calibration totals (in the project). The outputs are
    written by the rules under ``results/``; no key names an output path. The Chromium program
    and the system fonts of ``report`` are programs and fonts of the machine, not data."""
    out: list[tuple[str, str, str]] = []
    for name, rc in (config.get("rounds") or {}).items():
        if not isinstance(rc, Mapping):
            continue
        if rc.get("raw_dir"):
            out.append((f"rounds.{name}.raw_dir", str(rc["raw_dir"]), RAW_ROOT))
        if rc.get("codebook"):
            out.append((f"rounds.{name}.codebook", str(rc["codebook"]), "."))
    ind = config.get("indicators") or {}
    if ind.get("catalogue"):
        out.append(("indicators.catalogue", str(ind["catalogue"]), "."))
    if config.get("national_reference"):
        out.append(("national_reference", str(config["national_reference"]), "."))
    brief = (config.get("report") or {}).get("brief")
    if brief:
        out.append(("report.brief", str(brief), "."))
    totals = ((config.get("weights") or {}).get("calibration") or {}).get("totals")
    if totals:
        out.append(("weights.calibration.totals", str(totals), "."))
    return out


def check_paths(
    config: Mapping[str, Any], config_files: list[str], project: str | Path = "."
) -> None:
    """Refuse, in one message naming each key, the config paths that leave their folder: a
    round's ``raw_dir`` outside ``raw/`` (symbolic links placed in ``raw/`` are followed: a
    round kept on another disk is linked into it), any other input outside the project."""
    project = Path(project)
    bad = []
    for key, path, folder in config_paths(config):
        base = project / folder
        full = project / path
        if not is_inside(full, base, follow_links=folder != RAW_ROOT):
            shown = "raw/" if folder == RAW_ROOT else "the project folder"
            bad.append(f"{key} = '{path}' (resolves to {full.resolve()}), outside {shown}")
    if not bad:
        return
    keys = [b.split(" = ", 1)[0] for b in bad]
    raise InputError(
        "the configuration names a path outside the folders a run may read: " + "; ".join(bad),
        f"{', '.join(config_files)}: {', '.join(keys)}",
        "put each round's module files in a folder under raw/ (e.g. raw/endline_2019) and name "
        "that folder as its raw_dir (to keep the data on another disk, link the folder into "
        "raw/: ln -s /data/endline raw/endline); keep codebooks, the catalogue and the other "
        "inputs inside the project (docs/security.md)",
    )


def check_price_years(config: Mapping[str, Any], config_files: list[str]) -> None:
    """Every year the CPI converts (each round's ``price_year``, ``prices.base_year``, the
    poverty lines' price years and the PPP year) has a value in ``prices.cpi``."""
    prices = config.get("prices") or {}
    cpi = {int(k) for k in (prices.get("cpi") or {})}
    years: list[tuple[str, Any]] = [("prices.base_year", prices.get("base_year"))]
    change = config.get("change") or {}
    used = {*(config.get("analyse") or []), change.get("baseline"), change.get("endline")}
    years += [
        (f"rounds.{name}.price_year", (rc or {}).get("price_year"))
        for name, rc in (config.get("rounds") or {}).items()
        if name in used
    ]
    lines = config.get("poverty_lines") or {}
    years.append(
        ("poverty_lines.national.price_year", (lines.get("national") or {}).get("price_year"))
    )
    years.append(("poverty_lines.ppp.year", (lines.get("ppp") or {}).get("year")))
    bad = [(k, int(y)) for k, y in years if y is not None and int(y) not in cpi]
    if not bad:
        return
    span = f"{min(cpi)}-{max(cpi)}" if cpi else "no year"
    raise InputError(
        "year(s) outside the CPI table prices.cpi ("
        + span
        + "): "
        + ", ".join(f"{k} = {y}" for k, y in bad),
        f"{', '.join(config_files)}: {', '.join(k for k, _ in bad)}",
        "add the CPI of "
        + ", ".join(str(y) for y in sorted({y for _, y in bad}))
        + " under prices.cpi (same series and base as the other years, with its source), or "
        "correct the year",
    )
