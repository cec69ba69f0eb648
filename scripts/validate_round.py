"""Rule validate_round: run the declared checks; stop on errors, record warnings."""

import pandas as pd
import yaml

from hhsurvey.cli import run_rule
from hhsurvey.validate import raise_on_errors, run_checks, summary


def main(smk) -> None:
    tables = {
        n: pd.read_parquet(p) for n, p in zip(smk.params.tables, smk.input.tables, strict=True)
    }
    with open(smk.params.codebook, encoding="utf-8") as fh:
        files = {t: spec["file"] for t, spec in yaml.safe_load(fh)["tables"].items()}
    params = {
        **smk.params.limits,
        "fieldwork_start": smk.params.fieldwork["start"],
        "fieldwork_end": smk.params.fieldwork["end"],
        "responding": smk.params.responding,
        "extreme_mad_threshold": smk.params.extreme_mad_threshold,
    }
    findings = run_checks(tables, params, files)
    raise_on_errors(findings)
    findings.to_csv(smk.output.findings, index=False)
    summary(findings).to_csv(smk.output.summary, index=False)


if __name__ == "__main__":
    run_rule(main, snakemake)
