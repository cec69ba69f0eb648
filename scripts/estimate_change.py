"""Rule estimate_change: change endline - baseline of every indicator of both rounds."""

import pandas as pd

from hhsurvey.change import change_table
from hhsurvey.cli import run_rule
from hhsurvey.indicators import build_frames, load_catalogue
from hhsurvey.poverty import resolve_lines


def main(smk) -> None:
    rounds = smk.params.rounds
    names = [rounds["baseline"]["name"], rounds["endline"]["name"]]
    n = len(smk.params.tables)
    design = smk.params.design
    lines = resolve_lines(smk.params.poverty_lines, smk.params.prices)
    frames, indicators = {}, {}
    for k, name in enumerate(names):
        paths = smk.input.tables[k * n : (k + 1) * n]
        tables = {t: pd.read_parquet(p) for t, p in zip(smk.params.tables, paths, strict=True)}
        role = "baseline" if k == 0 else "endline"
        frames[name] = build_frames(
            tables,
            pd.read_parquet(smk.input.households[k]),
            strata=design["strata"],
            u5_excluded_sources=smk.params.indicators["u5_excluded_sources"],
            poverty_lines=lines,
            price_factor=rounds[role]["price_factor"],
        )
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
