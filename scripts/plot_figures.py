"""Rule plot_figures: the report's figures as deterministic SVG files."""

import pandas as pd

from hhsurvey.cli import run_rule
from hhsurvey.outputs.figures.charts import make_figures
from hhsurvey.outputs.report.format import read_csv
from hhsurvey.outputs.report.spec import (
    load_catalogue,
    load_report_spec,
    missing_in_instrument,
    round_categories,
)


def main(smk) -> None:
    indicators = read_csv(smk.input.indicators)
    catalogue = load_catalogue(smk.input.catalogue)
    spec = load_report_spec(smk.input.spec)
    names = list(smk.params.names)
    # an indicator the round's questionnaire cannot measure is not drawn (never a 0)
    absent = missing_in_instrument(catalogue, round_categories(smk.input.codebook))
    make_figures(
        names,
        list(smk.output.figures),
        indicators=indicators,
        comparison=read_csv(smk.input.comparison),
        households=pd.read_parquet(smk.input.households),
        labels={e.id: e.label for e in catalogue.entries},
        plotted={n: [i for i in catalogue.plotted(n) if i not in absent] for n in names},
        che_curve_max=smk.params.che_curve_max,
        che_curve_step=smk.params.che_curve_step,
        builders={n: spec.figures[n].builder for n in names},
    )


if __name__ == "__main__":
    run_rule(main, snakemake)  # noqa: F821 (injected by Snakemake)
