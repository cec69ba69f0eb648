"""Rule plot_figures: the report's figures as deterministic SVG files."""

import pandas as pd

from hhsurvey.cli import run_rule
from hhsurvey.outputs.figures.charts import make_figures
from hhsurvey.outputs.report.format import read_csv
from hhsurvey.outputs.report.spec import load_catalogue, load_report_spec


def main(smk) -> None:
    indicators = read_csv(smk.input.indicators)
    catalogue = load_catalogue(smk.input.catalogue)
    spec = load_report_spec(smk.input.spec)
    names = list(smk.params.names)
    make_figures(
        names,
        list(smk.output.figures),
        indicators=indicators,
        comparison=read_csv(smk.input.comparison),
        households=pd.read_parquet(smk.input.households),
        labels={e.id: e.label for e in catalogue.entries},
        plotted={n: catalogue.plotted(n) for n in names},
        che_curve_max=smk.params.che_curve_max,
        che_curve_step=smk.params.che_curve_step,
        builders={n: spec.figures[n].builder for n in names},
    )


if __name__ == "__main__":
    run_rule(main, snakemake)
