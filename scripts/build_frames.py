"""Rule build_frames: the round's analysis frames (persons, households, population-weighted)."""

import pandas as pd

from hhsurvey.cli import run_rule
from hhsurvey.prepare.frames import build_frames, write_frames
from hhsurvey.prepare.poverty import resolve_lines


def main(smk) -> None:
    tables = {
        n: pd.read_parquet(p) for n, p in zip(smk.params.tables, smk.input.tables, strict=True)
    }
    frames = build_frames(
        tables,
        pd.read_parquet(smk.input.households),
        strata=smk.params.strata,
        u5_excluded_sources=smk.params.u5_excluded_sources,
        # the lines in base-year prices (each from its own price year, by the CPI)
        poverty_lines=resolve_lines(smk.params.poverty_lines, smk.params.prices),
        price_factor=smk.params.price_factor,
    )
    write_frames(frames, dict(smk.output.items()))


if __name__ == "__main__":
    run_rule(main, snakemake)
