"""Rule build_frames: the round's analysis frames (persons, households, population-weighted)."""

import pandas as pd

from hhsurvey.cli import run_rule
from hhsurvey.prepare.frames import build_frames, design_columns, write_frames
from hhsurvey.prepare.poverty import resolve_lines


def main(smk) -> None:
    tables = {
        n: pd.read_parquet(p) for n, p in zip(smk.params.tables, smk.input.tables, strict=True)
    }
    households = pd.read_parquet(smk.input.households)
    pi1 = pd.read_parquet(smk.input.weights, columns=["village", "hh", "pi1"])
    pi1 = households[["village", "hh"]].merge(pi1, on=["village", "hh"], how="left")["pi1"]
    # a certainty village: a stratum of its own with its households as PSUs (config design)
    design = design_columns(
        households,
        pi1,
        strata=smk.params.strata,
        psu=smk.params.psu,
        certainty_own_stratum=smk.params.certainty_own_stratum,
        round_name=smk.wildcards.round,
    )
    frames = build_frames(
        tables,
        households,
        strata=smk.params.strata,
        u5_excluded_sources=smk.params.u5_excluded_sources,
        # the lines in base-year prices (each from its own price year, by the CPI)
        poverty_lines=resolve_lines(smk.params.poverty_lines, smk.params.prices),
        price_factor=smk.params.price_factor,
        design=design,
    )
    write_frames(frames, dict(smk.output.items()))


if __name__ == "__main__":
    run_rule(main, snakemake)  # noqa: F821 (injected by Snakemake)
