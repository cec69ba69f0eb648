"""Rule compute_weights: household weights and their diagnostics."""

import pandas as pd

from hhsurvey.cli import run_rule
from hhsurvey.io import write_parquet
from hhsurvey.weights import diagnostics, household_weights


def main(smk) -> None:
    frame = pd.read_parquet(smk.input.frame)
    household = pd.read_parquet(smk.input.household)
    person = pd.read_parquet(smk.input.person)
    w = household_weights(
        frame,
        household,
        strata=smk.params.strata,
        ineligible=smk.params.ineligible,
        responding=smk.params.responding,
        trim_ratio=smk.params.trim_ratio,
    )
    size = person.groupby(["village", "hh"]).size()
    diag = diagnostics(w, frame, size, strata=smk.params.strata, flag_above=smk.params.flag_above)
    write_parquet(w, smk.output.weights)
    diag.to_csv(smk.output.diagnostics, index=False)


if __name__ == "__main__":
    run_rule(main, snakemake)
