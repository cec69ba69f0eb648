"""Analysis frames of a round, built once and read by every estimate.

Rule ``build_frames`` builds the three analysis frames of a round with
:func:`hhsurvey.analysis.indicators.estimate.build_frames` (persons, households, and households for
population-weighted measures; amounts in base-year prices) and writes them to
``results/{round}/frames/{unit}.parquet``. ``estimate_indicators``, ``estimate_change`` and
any later consumer read them with :func:`read_frames` and never rebuild them, so that every
estimate of a round rests on the same rows.

The frames hold canonical survey variables only: personal identifiers (names, phones, GPS)
never leave ingest (``hhsurvey.survey.io``), and ``tests/test_workflow.py`` scans every file under
``results/`` for them.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from hhsurvey.errors import InputError

__all__ = ["FRAME_UNITS", "read_frames", "write_frames"]

FRAME_UNITS: tuple[str, ...] = ("person", "household", "household_pop")


def _check_units(units: set[str], where: str) -> None:
    if units != set(FRAME_UNITS):
        raise InputError(
            f"analysis frames {sorted(units)} do not match the units {list(FRAME_UNITS)}",
            where,
            "build the frames with rule build_frames (results/{round}/frames/)",
        )


def write_frames(frames: Mapping[str, pd.DataFrame], paths: Mapping[str, str]) -> None:
    """Write each unit's frame to its path (Parquet, no index; deterministic)."""
    _check_units(set(frames), "hhsurvey.analysis.indicators.estimate.build_frames")
    _check_units(set(paths), "rule build_frames: output")
    for unit in FRAME_UNITS:
        frames[unit].reset_index(drop=True).to_parquet(paths[unit], index=False)


def read_frames(paths: Mapping[str, str]) -> dict[str, pd.DataFrame]:
    """The analysis frames of one round, read from ``results/{round}/frames/``."""
    _check_units(set(paths), "rule input: frames")
    return {unit: pd.read_parquet(paths[unit]) for unit in FRAME_UNITS}
