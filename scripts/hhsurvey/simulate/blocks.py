"""Generating the population block of villages by block of villages.

Each block of :data:`~hhsurvey.simulate.params.CHUNK_VILLAGES` villages has its own random
stream, so the result does not depend on how blocks are scheduled: in turn (bounded memory), or
in worker processes for large scales. :func:`run_blocks` keeps only what a round needs (the truth
sums over everyone, the records of the sampled households); :func:`iter_blocks` yields every
block whole (for :func:`~hhsurvey.simulate.simulator.simulate_population`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pandas as pd

from hhsurvey.simulate.households.generate import generate_block
from hhsurvey.simulate.layout import Tables, to_frame
from hhsurvey.simulate.params import CHUNK_VILLAGES, ROUND_ID, STREAM_CONTENT, stream
from hhsurvey.simulate.sample import subset
from hhsurvey.simulate.truth import add_sums, truth_sums

log = logging.getLogger(__name__)


def _block_rng(P: dict, seed: int, scale: int, b: int) -> np.random.Generator:
    return stream(seed, STREAM_CONTENT, ROUND_ID[P["round"]], scale, b)


def iter_blocks(P: dict, frame: pd.DataFrame, seed: int, scale: int) -> Iterator[Tables]:
    """Population content, block of villages by block of villages (each with its own stream)."""
    for b, start in enumerate(range(0, len(frame), CHUNK_VILLAGES)):
        vil = frame.iloc[start : start + CHUNK_VILLAGES]
        yield generate_block(P, vil, _block_rng(P, seed, scale, b))


def _block_job(job: tuple) -> tuple[dict[str, float], dict[str, pd.DataFrame] | None]:
    """Generate one block, return its truth sums and the rows of the sampled households."""
    P, vil, seed, scale, b, keys, line = job
    block = generate_block(P, vil, _block_rng(P, seed, scale, b))
    sums = truth_sums(block, line)
    return sums, (None if keys is None else subset(block, keys))


def run_blocks(
    P: dict, frame: pd.DataFrame, seed: int, scale: int, keys: np.ndarray | None, workers: int
) -> tuple[dict[str, float], list[dict[str, pd.DataFrame]]]:
    """Truth sums over the whole population and the sampled households' records, streaming
    block by block (bounded memory); blocks run in `workers` processes when there are several.
    The result does not depend on `workers` (each block has its own random stream)."""
    line = P["wealth"]["poverty_line_pc_month"] * P["price_index"]
    jobs = []
    for b, start in enumerate(range(0, len(frame), CHUNK_VILLAGES)):
        vil = frame.iloc[start : start + CHUNK_VILLAGES]
        k = None
        if keys is not None:
            v = keys // 1_000_000
            k = keys[(v >= vil["HH1"].min()) & (v <= vil["HH1"].max())]
        jobs.append((P, vil, seed, scale, b, k, line))
    t0 = time.perf_counter()
    results = None
    if workers > 1 and len(jobs) > 1:
        try:
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx) as ex:
                results = list(ex.map(_block_job, jobs))
        except (BrokenProcessPool, OSError) as exc:  # e.g. __main__ not importable by a child
            log.warning("worker processes failed (%s); generating serially instead", exc)
            results = None
    if results is None:
        results = []
        for i, job in enumerate(jobs):
            results.append(_block_job(job))
            log.debug("block %d/%d after %.1f s", i + 1, len(jobs), time.perf_counter() - t0)
    log.debug("%d blocks in %.1f s", len(jobs), time.perf_counter() - t0)
    sums = None
    for sm, _ in results:
        sums = add_sums(sums, sm)
    return sums, [part for _, part in results]


def worker_count(params: dict, n_villages: int) -> int:
    """Processes for a frame of `n_villages` (params performance.workers; 1 for one block)."""
    if n_villages <= CHUNK_VILLAGES:
        return 1
    w = params.get("performance", {}).get("workers") or 0
    return max(1, int(w) if w else min(2, os.cpu_count() or 1))


def concat_blocks(blocks: list[Tables]) -> Tables:
    """The tables of several blocks, column by column, in block order."""
    if len(blocks) == 1:
        return blocks[0]
    return {
        t: {c: np.concatenate([b[t][c] for b in blocks]) for c in blocks[0][t]} for t in blocks[0]
    }


def to_frames(tables: Tables) -> dict[str, pd.DataFrame]:
    """DataFrames of tables of arrays (text columns as strings)."""
    return {k: to_frame(v) for k, v in tables.items()}
