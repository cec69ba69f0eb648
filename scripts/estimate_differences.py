"""Rule estimate_differences: the screened differences between groups, tested and adjusted."""

import pandas as pd

from hhsurvey.analysis.differences import domain_differences
from hhsurvey.catalogue.model import load_catalogue
from hhsurvey.cli import run_rule
from hhsurvey.prepare.frames import FRAME_UNITS, design_args, read_frames


def main(smk) -> None:
    design = smk.params.design
    frames = read_frames({u: smk.input[u] for u in FRAME_UNITS})
    indicators = pd.read_csv(smk.input.indicators, keep_default_na=False, na_values=[""])
    out = domain_differences(
        load_catalogue(smk.input.catalogue),
        frames,
        indicators,
        smk.params.differences,
        design_args(design),
        level=design["level"],
        power=smk.params.power,
    )
    out.to_csv(smk.output.csv, index=False)


if __name__ == "__main__":
    run_rule(main, snakemake)  # noqa: F821 (injected by Snakemake)
