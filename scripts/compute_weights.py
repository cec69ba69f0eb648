"""Rule compute_weights: household weights and their diagnostics."""

import pandas as pd

from hhsurvey.cli import run_rule
from hhsurvey.errors import InputError
from hhsurvey.prepare.weights import calibrate, diagnostics, household_weights
from hhsurvey.survey.io import write_parquet


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
    cal = smk.params.calibration
    if cal["enabled"]:
        if not cal["totals"]:
            raise InputError(
                "calibration is enabled but no totals table is given",
                "config: weights.calibration.totals",
                "set it to a CSV with columns sex, age_group, total, or disable calibration",
            )
        w = calibrate(w, person, pd.read_csv(smk.input.totals[0]), path=cal["totals"])
    size = person.groupby(["village", "hh"]).size()
    diag = diagnostics(w, frame, size, strata=smk.params.strata, flag_above=smk.params.flag_above)
    write_parquet(w, smk.output.weights)
    diag.to_csv(smk.output.diagnostics, index=False)


if __name__ == "__main__":
    run_rule(main, snakemake)  # noqa: F821 (injected by Snakemake)
