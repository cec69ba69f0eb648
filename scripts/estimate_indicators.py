"""Rule estimate_indicators: every catalogue indicator, overall and by domain, with SEs."""

from hhsurvey.analysis.indicators.determinants import determinants
from hhsurvey.analysis.indicators.estimate import (
    estimate_catalogue,
    log_lonely_strata,
)
from hhsurvey.analysis.indicators.export import write_indicator_tables
from hhsurvey.catalogue.model import load_catalogue
from hhsurvey.cli import run_rule
from hhsurvey.prepare.frames import FRAME_UNITS, read_frames
from hhsurvey.prepare.frames import design_args as frame_design
from hhsurvey.prepare.poverty import resolve_lines


def main(smk) -> None:
    design = smk.params.design
    ind_cfg = smk.params.indicators
    frames = read_frames({u: smk.input[u] for u in FRAME_UNITS})
    # the lines in base-year prices (each from its own price year, by the CPI)
    lines = resolve_lines(smk.params.poverty_lines, smk.params.prices)
    # the frames' design columns (certainty villages as their own strata, config design)
    design_args = frame_design(design)
    log_lonely_strata(frames["household"], design_args)
    result = estimate_catalogue(
        load_catalogue(smk.input.catalogue),
        frames,
        design_args,
        level=design["level"],
        suppress_below=ind_cfg["suppress_below"],
        caution_below=ind_cfg["caution_below"],
        context={"indicators": ind_cfg, "poverty_lines": lines},
    )
    determinants(frames["person"], design_args, level=design["level"]).to_csv(
        smk.output.determinants, index=False
    )
    write_indicator_tables(
        result, smk.output.csv, smk.output.parquet, smk.output.xlsx, created=smk.params.date
    )


if __name__ == "__main__":
    run_rule(main, snakemake)  # noqa: F821 (injected by Snakemake)
