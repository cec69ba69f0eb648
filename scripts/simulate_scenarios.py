"""Rule simulate_scenarios: financial protection and cost under each benefit package."""

import pandas as pd

from hhsurvey.analysis.indicators.estimate import log_lonely_strata
from hhsurvey.analysis.scenarios import simulate
from hhsurvey.catalogue.model import load_catalogue
from hhsurvey.cli import run_rule
from hhsurvey.prepare.frames import design_args as frame_design
from hhsurvey.prepare.poverty import resolve_lines


def main(smk) -> None:
    tables = {
        n: pd.read_parquet(p) for n, p in zip(smk.params.tables, smk.input.tables, strict=True)
    }
    design = smk.params.design
    # the frame's design columns (certainty villages as their own strata, config design)
    design_args = frame_design(design)
    # the household analysis frame of rule build_frames (only that unit is needed)
    household = pd.read_parquet(smk.input.household)
    # a lonely PSU under lonely_psu: fail stops here with the project's message, as in
    # estimate_indicators (the design itself would raise a bare ValueError)
    log_lonely_strata(household, design_args)
    result = simulate(
        tables,
        household,
        load_catalogue(smk.input.catalogue),
        smk.params.scenarios,
        design_args=design_args,
        level=design["level"],
        indicators=smk.params.indicators,
        # the lines in base-year prices (each from its own price year, by the CPI)
        poverty_lines=resolve_lines(smk.params.poverty_lines, smk.params.prices),
        price_factor=smk.params.price_factor,
    )
    result.to_csv(smk.output.csv, index=False)


if __name__ == "__main__":
    run_rule(main, snakemake)  # noqa: F821 (injected by Snakemake)
