"""Rule compare_national: Vang Vieng estimates against the national reference table."""

import pandas as pd

from hhsurvey.cli import run_rule
from hhsurvey.compare import compare_national, load_national


def main(smk) -> None:
    indicators = pd.read_csv(smk.input.indicators, keep_default_na=False, na_values=[""])
    national = load_national(smk.input.national)
    out = compare_national(indicators, national, smk.params.national_round, level=smk.params.level)
    out.to_csv(smk.output.comparison, index=False)


if __name__ == "__main__":
    run_rule(main, snakemake)
