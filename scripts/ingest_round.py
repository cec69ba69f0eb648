"""Rule ingest_round: raw module files -> canonical Parquet tables (identifiers dropped,
free text redacted)."""

from pathlib import Path

from hhsurvey.cli import run_rule
from hhsurvey.survey.codebook.check import check_round, plausibility_problems, raise_problems
from hhsurvey.survey.codebook.model import load_codebook
from hhsurvey.survey.io import read_round, write_parquet


def main(smk) -> None:
    codebook = load_codebook(smk.input.codebook)
    # every missing variable, unmapped code, ... of the round at once (reading stops at the first)
    raws = {}  # each file read once: by the check, then by the ingest
    raise_problems(check_round(smk.params.raw_dir, codebook, deep=False, raws=raws), codebook)
    tables, special, manifest, redactions = read_round(
        smk.params.raw_dir, codebook, show_verbatim=smk.params.show_verbatim, raws=raws
    )
    # a mapping the data contradict (every mother 'male'): the codebook entry, not the data
    raise_problems(plausibility_problems(tables, codebook, smk.params.raw_dir), codebook)
    for name, path in zip(smk.params.tables, smk.output.tables, strict=True):
        write_parquet(tables[name], path)
    write_parquet(special, smk.output.special)
    write_parquet(redactions, smk.output.redactions)
    manifest.to_csv(smk.output.manifest, index=False)
    Path(smk.log[0]).parent.mkdir(parents=True, exist_ok=True)


if __name__ == "__main__":
    run_rule(main, snakemake)  # noqa: F821 (injected by Snakemake)
