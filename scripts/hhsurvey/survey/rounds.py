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
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from hhsurvey.errors import InputError
from hhsurvey.survey.codebook.model import load_codebook
from hhsurvey.survey.io import read_raw

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
            doc = yaml.safe_load(Path(f).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
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
