"""Rule plot_figures: the report's figures as deterministic SVG files."""

import pandas as pd

from hhsurvey.cli import run_rule
from hhsurvey.figures import make_figures
from hhsurvey.report import gradient_ids, load_catalogue, provider_ids, read_csv


def main(smk) -> None:
    indicators = read_csv(smk.input.indicators)
    catalogue = load_catalogue(smk.input.catalogue)
    make_figures(
        smk.params.names,
        list(smk.output.figures),
        indicators=indicators,
        comparison=read_csv(smk.input.comparison),
        households=pd.read_parquet(smk.input.households),
        labels={e.id: e.label for e in catalogue.entries},
        gradient_ids=gradient_ids(catalogue, indicators),
        provider_ids=provider_ids(catalogue),
        che_curve_max=smk.params.che_curve_max,
        che_curve_step=smk.params.che_curve_step,
    )


if __name__ == "__main__":
    run_rule(main, snakemake)
