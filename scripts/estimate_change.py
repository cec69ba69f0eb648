"""Rule estimate_change: change endline - baseline of every indicator of both rounds."""

import pandas as pd

from hhsurvey.analysis.change import change_table
from hhsurvey.catalogue.model import load_catalogue
from hhsurvey.cli import run_rule
from hhsurvey.prepare.frames import FRAME_UNITS, read_frames


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
        design_args={
            "strata": design["strata"],
            "psu": design["psu"],
            "lonely_psu": design["lonely_psu"],
        },
        revisited=revisited,
        by=list(smk.params.by),
        level=design["level"],
        comparison_area=smk.params.comparison_area,
    )
    out.to_csv(smk.output.change, index=False)


if __name__ == "__main__":
    run_rule(main, snakemake)
