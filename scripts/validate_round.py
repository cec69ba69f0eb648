"""Rule validate_round: run the declared checks; stop on errors, record warnings."""

import pandas as pd

from hhsurvey.cli import run_rule
from hhsurvey.prepare.validate import raise_on_errors, run_checks, summary
from hhsurvey.survey.codebook.model import load_codebook


def main(smk) -> None:
    tables = {
        n: pd.read_parquet(p) for n, p in zip(smk.params.tables, smk.input.tables, strict=True)
    }
    codebook = load_codebook(smk.params.codebook)
    files = {t: spec.file for t, spec in codebook.tables.items()}
    names = {
        f"{t}.{c}": col.raw
        for t, spec in codebook.tables.items()
        for c, col in spec.columns.items()
    }
    lines = {
        f"{t}.{c}": codebook.where(t, c)
        for t, spec in codebook.tables.items()
        for c in spec.columns
    }
    params = {
        **smk.params.limits,
        "fieldwork_start": smk.params.fieldwork["start"],
        "fieldwork_end": smk.params.fieldwork["end"],
        "responding": smk.params.responding,
        "ineligible": smk.params.ineligible,
        "extreme_mad_threshold": smk.params.extreme_mad_threshold,
        # the treatments the config chose (a finding they treat is a warning)
        **smk.params.treatments.get("cleaning", {}),
        "strata": smk.params.strata,
        "raw_names": names,
    }
    findings = run_checks(tables, params, files)
    raise_on_errors(findings, tables, names, lines, files)
    findings.to_csv(smk.output.findings, index=False)
    summary(findings).to_csv(smk.output.summary, index=False)


if __name__ == "__main__":
    run_rule(main, snakemake)  # noqa: F821 (injected by Snakemake)
