"""Rule compare_national: Vang Vieng estimates against the national reference table."""

import pandas as pd

from hhsurvey.analysis.compare import HEADLINE_INDICATORS, compare_national, load_national
from hhsurvey.catalogue.model import load_catalogue
from hhsurvey.catalogue.national import catalogue_units
from hhsurvey.cli import run_rule
from hhsurvey.prepare.poverty import assumption_marks


def main(smk) -> None:
    catalogue = load_catalogue(smk.input.catalogue)
    indicators = pd.read_csv(smk.input.indicators, keep_default_na=False, na_values=[""])
    national = load_national(smk.input.national, units=catalogue_units(catalogue))
    # results resting on a poverty line marked ASSUMPTION get no verdict ("for context only")
    context = assumption_marks(catalogue, smk.params.poverty_lines, smk.params.prices)
    labels = {ind.id: ind.label for ind in catalogue}
    headline = {iid: labels.get(iid, label) for iid, label in HEADLINE_INDICATORS.items()}
    out = compare_national(
        indicators,
        national,
        smk.params.national_round,
        level=smk.params.level,
        headline=headline,
        context=context,
    )
    out.to_csv(smk.output.comparison, index=False)


if __name__ == "__main__":
    run_rule(main, snakemake)  # noqa: F821 (injected by Snakemake)
