"""Rule estimate_change: change endline - baseline of every indicator of both rounds."""

import pandas as pd

from hhsurvey.analysis.change import change_table
from hhsurvey.catalogue.model import load_catalogue
from hhsurvey.cli import run_rule
from hhsurvey.prepare.frames import FRAME_UNITS, read_frames
from hhsurvey.prepare.frames import design_args as frame_design


def main(smk) -> None:
    rounds = smk.params.rounds
    names = [rounds["baseline"]["name"], rounds["endline"]["name"]]
    design = smk.params.design
    frames, indicators = {}, {}
    for k, name in enumerate(names):
        frames[name] = read_frames({u: smk.input[u][k] for u in FRAME_UNITS})
        indicators[name] = pd.read_csv(
            smk.input.indicators[k], keep_default_na=False, na_values=[""]
        )
    revisited = rounds["endline"]["revisits"] == names[0]
    out = change_table(
        load_catalogue(smk.input.catalogue),
        frames,
        indicators,
        baseline=names[0],
        endline=names[1],
        # the frames' design columns (certainty villages as their own strata, config design)
        design_args=frame_design(design),
        revisited=revisited,
        by=list(smk.params.by),
        level=design["level"],
        comparison_area=smk.params.comparison_area,
        # the minimum detectable change of a change that is not significant (planning.power)
        power=smk.params.power,
        rules=smk.params.precision,
        multiplicity=smk.params.multiplicity,
    )
    out.to_csv(smk.output.change, index=False)


if __name__ == "__main__":
    run_rule(main, snakemake)  # noqa: F821 (injected by Snakemake)
