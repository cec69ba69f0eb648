"""Rule clean_round: apply the cleaning rules and write the cleaning log."""

import pandas as pd

from hhsurvey.cli import run_rule
from hhsurvey.prepare.clean import clean_tables
from hhsurvey.survey.io import write_parquet


def main(smk) -> None:
    tables = {
        n: pd.read_parquet(p) for n, p in zip(smk.params.tables, smk.input.tables, strict=True)
    }
    special = pd.read_parquet(smk.input.special)
    redactions = pd.read_parquet(smk.input.redactions)
    params = {
        **smk.params.cleaning,
        **smk.params.limits,
        "strata": smk.params.strata,
        "responding": smk.params.responding,
    }
    clean, log_df, exclusions, recon = clean_tables(tables, special, params, redactions)
    for name, path in zip(smk.params.tables, smk.output.tables, strict=True):
        write_parquet(clean[name], path)
    log_df.to_csv(smk.output.log_csv, index=False)
    exclusions.to_csv(smk.output.exclusions, index=False)
    recon.to_csv(smk.output.row_counts, index=False)


if __name__ == "__main__":
    run_rule(main, snakemake)  # noqa: F821 (injected by Snakemake)
