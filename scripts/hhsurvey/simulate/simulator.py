"""Synthetic Vang Vieng household health survey: population, sample, raw files and truth.

Everything here is SYNTHETIC. The simulator builds a finite population of Vang Vieng
district (villages, households, persons and every module of the questionnaire), draws the
documented two-stage sample (QUESTIONNAIRE.md, "Sample design"), writes the raw export in the
exact layout (frame.csv and the SPSS .sav files) and writes the finite-population values of the
headline indicators (truth.csv) computed on the whole population with the docs/definitions.md
formulas. All parameters live in ``config/simulate.yaml``; every function is pure and seeded.

This module runs the stages; the package holds them by what they make:

- :mod:`~hhsurvey.simulate.params` - parameters (:func:`load_params`) and random streams;
- :mod:`~hhsurvey.simulate.population` - the village frame;
- :mod:`~hhsurvey.simulate.households` - households, persons and modules, step by step;
- :mod:`~hhsurvey.simulate.blocks` - blocks of villages, serially or in worker processes;
- :mod:`~hhsurvey.simulate.sample` - the two-stage design (:func:`draw_sample_indices`,
  :func:`draw_sample`, :func:`pps_systematic`);
- :mod:`~hhsurvey.simulate.truth` - finite-population values (:func:`compute_truth`);
- :mod:`~hhsurvey.simulate.record` and :mod:`~hhsurvey.simulate.plant` - dates, identifiers,
  don't-knows and the planted errors;
- :mod:`~hhsurvey.simulate.layout` and :mod:`~hhsurvey.simulate.instrument` - the raw layout
  and the writing of its files.

Here: :func:`simulate_population` (the full population, true values), :func:`write_demo` (all
files of the raw layout into a folder) and :func:`main` (``python -m hhsurvey.simulate``).

Random streams are derived from ``params["seed"]`` with :class:`numpy.random.SeedSequence`,
so each stage (frame, content, sample, recording) is reproducible on its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import time
from pathlib import Path

import pandas as pd

from hhsurvey.simulate.blocks import concat_blocks, iter_blocks, run_blocks, to_frames, worker_count
from hhsurvey.simulate.instrument import fmt_value, write_csv, write_sav
from hhsurvey.simulate.layout import MODULE_FILES, hh_key, rename_round
from hhsurvey.simulate.params import (
    ROUND_ID,
    ROUNDS,
    STREAM_RECORD,
    STREAM_SAMPLE,
    load_params,
    round_params,
    stream,
)
from hhsurvey.simulate.plant import plant_errors
from hhsurvey.simulate.population import village_frame
from hhsurvey.simulate.record import record
from hhsurvey.simulate.sample import apply_response, draw_sample_indices, frame_csv
from hhsurvey.simulate.truth import (
    MONETARY,
    TRUTH_CONTEXT,
    TRUTH_INDICATORS,
    truth_frame,
    truth_values,
)

log = logging.getLogger(__name__)


def simulate_population(
    params: dict, seed: int | None = None, round: str = "baseline", scale: int = 1
) -> dict[str, pd.DataFrame]:
    """The whole finite population of the district at survey time (true, error-free values).

    Returns a dict with
      - ``frame``: villages (public columns HH1, village_en, village_lo, area, mos_hh, hh_count;
        "_"-prefixed village characteristics and random effects),
      - ``hh``, ``persons``, ``opd``, ``ipd``, ``births``, ``u5``, ``food``, ``nonfood``: every
        household's records in the raw layout of the round (no HH9/HH12/PII: those are events
        of a sample; HH2 = listing line of the household in its village),
      - ``hh_true``: per household size, wealth score, annual food, non-food, OOP, consumption
        and budget share,
      - ``meta``: one row with round, seed and scale.
    Scale 1 is about 10,500 households / 56,000 persons; memory grows linearly with scale.
    """
    seed = int(params["seed"] if seed is None else seed)
    P = round_params(params, round)
    frame = village_frame(params, seed, round, scale)
    pop = rename_round(to_frames(concat_blocks(list(iter_blocks(P, frame, seed, scale)))), round)
    pop["frame"] = frame
    pop["meta"] = pd.DataFrame({"round": [round], "seed": [seed], "scale": [int(scale)]})
    return pop


def write_demo(outdir: str | Path, params: dict, round: str = "baseline", scale: int = 1) -> None:
    """Simulate the population of `round`, draw the sample and write every raw file into outdir.

    Files: frame.csv, hh.sav, food.sav, nonfood.sav, persons.sav, opd.sav, ipd.sav, births.sav,
    u5.sav, planted_errors.csv, truth.csv. Deterministic given params["seed"], round and scale.
    """
    t0 = time.perf_counter()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    seed = int(params["seed"])
    P = round_params(params, round)
    rid = ROUND_ID[round]
    frame = village_frame(params, seed, round, scale)
    meta = pd.DataFrame({"round": [round], "seed": [seed], "scale": [int(scale)]})
    idx = draw_sample_indices(
        {"frame": frame, "meta": meta}, params, stream(seed, STREAM_SAMPLE, rid, scale), round
    )
    hhs = idx["households"]
    keys = hh_key(hhs)
    sums, parts = run_blocks(P, frame, seed, scale, keys, worker_count(params, len(frame)))
    log.info("population %s x%d generated in %.1f s", round, scale, time.perf_counter() - t0)
    S = apply_response(
        {k: pd.concat([p[k] for p in parts], ignore_index=True) for k in parts[0]}, hhs, round
    )
    # recording: interview dates, identifiers, don't-knows, planted errors
    rng = stream(seed, STREAM_RECORD, rid, scale)
    S = record(S, P, frame, idx["villages"], rng)
    S = rename_round(S, round)
    S, errors = plant_errors(S, P, rng, round)
    stamp = dt.datetime.fromisoformat(P["fieldwork"]["file_timestamp"])
    for file in MODULE_FILES:
        df = S[file]
        sort_cols = [c for c in ("HH1", "HH2", "HL1", "FOOD_ITEM", "NF_ITEM") if c in df]
        df = df.sort_values(sort_cols, kind="stable").reset_index(drop=True)
        write_sav(df, outdir / f"{file}.sav", file, round, stamp)
    write_csv(frame_csv(frame, idx["villages"]), outdir / "frame.csv")
    write_csv(errors, outdir / "planted_errors.csv")
    truth = truth_frame(
        truth_values(sums), _extra_truth(params, round, scale, seed, truth_values(sums))
    )
    truth["value"] = truth["value"].map(fmt_value)
    write_csv(truth, outdir / "truth.csv")
    log.info(
        "wrote %s (%s, scale %d): %d households sampled, %d persons in %.1f s",
        outdir,
        round,
        scale,
        len(S["hh"]),
        len(S["persons"]),
        time.perf_counter() - t0,
    )


def _extra_truth(
    params: dict, round: str, scale: int, seed: int, values: dict[str, float]
) -> list[tuple[str, float, str]]:
    """Endline only: monetary values in base-year prices and the true change since baseline."""
    if round != "endline":
        return []
    PE = round_params(params, "endline")
    PB = round_params(params, "baseline")
    pidx = float(PE["price_index"])
    frame_b = village_frame(params, seed, "baseline", scale)
    sums, _ = run_blocks(PB, frame_b, seed, scale, None, worker_count(params, len(frame_b)))
    base = truth_values(sums)
    rows = []
    for k in MONETARY:
        rows.append(
            (
                f"{k}_base_prices",
                values[k] / pidx,
                f"{TRUTH_CONTEXT.get(k) or TRUTH_INDICATORS[k]}; endline value deflated to baseline prices (/ price_index {pidx})",
            )
        )
    for k in (*TRUTH_INDICATORS, "poverty_headcount", "consumption_pc_month_mean"):
        v = values[k] / pidx if k in MONETARY else values[k]
        unit = "in baseline prices" if k in MONETARY else "percentage points / units"
        rows.append((f"change_{k}", v - base[k], f"True change endline - baseline of {k} ({unit})"))
    for k in (*TRUTH_INDICATORS, "poverty_headcount"):
        rows.append(
            (f"baseline_{k}", base[k], f"Baseline finite-population value of {k} (baseline prices)")
        )
    return rows


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """``python -m hhsurvey.simulate --round R --out DIR [--scale N] [--config FILE]``."""
    ap = argparse.ArgumentParser(
        prog="python -m hhsurvey.simulate", description=__doc__.splitlines()[0]
    )
    ap.add_argument("--round", choices=ROUNDS, default="baseline")
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument(
        "--scale", type=int, default=1, help="population and sample multiplier (default 1)"
    )
    ap.add_argument("--config", default=None, help="parameters (default config/simulate.yaml)")
    a = ap.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    write_demo(a.out, load_params(a.config), round=a.round, scale=a.scale)


if __name__ == "__main__":
    main()
