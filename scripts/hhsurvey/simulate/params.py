"""Parameters and random streams of the simulator.

``config/simulate.yaml`` holds every parameter; :func:`round_params` gives the effective values of
a round (the endline overrides merged over the baseline). Random streams are derived from the
master seed with :class:`numpy.random.SeedSequence` and a stream number per stage (frame, content,
sample, recording), so each stage is reproducible on its own.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import yaml

from hhsurvey.paths import REPO

ROUNDS = ("baseline", "endline")
ROUND_ID = {"baseline": 0, "endline": 1}
STREAM_FRAME, STREAM_CONTENT, STREAM_SAMPLE, STREAM_RECORD, STREAM_ENDLINE_FRAME = 1, 2, 3, 4, 5
CHUNK_VILLAGES = 2000  # villages generated at once (memory bound for large scales)


def load_params(path: str | Path | None = None) -> dict:
    """Parse config/simulate.yaml (default: ./config/simulate.yaml, else the repository copy)."""
    if path is None:
        cand = Path("config/simulate.yaml")
        path = cand if cand.exists() else REPO / "config" / "simulate.yaml"
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _deep_update(base: dict, over: dict) -> dict:
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _deep_update(base[k], v)
        else:
            base[k] = copy.deepcopy(v)
    return base


def round_params(params: dict, round: str = "baseline") -> dict:
    """Effective parameters of a round: the baseline values, with `endline:` merged over them."""
    if round not in ROUNDS:
        raise ValueError(f"round must be one of {ROUNDS}, got {round!r}")
    P = copy.deepcopy({k: v for k, v in params.items() if k != "endline"})
    P.setdefault("price_index", 1.0)
    P.setdefault("real_growth", 1.0)
    if round == "endline":
        _deep_update(P, params.get("endline", {}))
    P["round"] = round
    return P


def stream(seed: int, *keys: int) -> np.random.Generator:
    """The random generator of one stage: the master seed followed by the stage's keys."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), *(int(k) for k in keys)]))
