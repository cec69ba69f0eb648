"""Rule aggregate_households: annual consumption and OOP per household, in base-year prices."""

import pandas as pd

from hhsurvey.cli import run_rule
from hhsurvey.prepare.aggregate import amount_columns, deflate, household_aggregates
from hhsurvey.survey.io import write_parquet


def main(smk) -> None:
    tables = {
        n: pd.read_parquet(p) for n, p in zip(smk.params.tables, smk.input.tables, strict=True)
    }
    weights = pd.read_parquet(smk.input.weights)
    agg = household_aggregates(
        tables,
        weights,
        strata=smk.params.strata,
        ctp_excluded_food=smk.params.ctp["exclude_food_items"],
        eq_beta=smk.params.ctp["beta"],
    )
    agg = deflate(
        agg,
        float(smk.params.price_factor),
        amount_columns(agg),
    )
    write_parquet(agg, smk.output.households)


if __name__ == "__main__":
    run_rule(main, snakemake)  # noqa: F821 (injected by Snakemake)
