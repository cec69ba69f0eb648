"""Rule plot_change_figures: the dumbbell chart of the change report, as a deterministic SVG."""

from hhsurvey.cli import run_rule
from hhsurvey.outputs.change_report import ROLES, headline_frame, read_change, round_flags
from hhsurvey.outputs.figures.charts import change_dumbbell, save_svg
from hhsurvey.outputs.report.format import read_csv
from hhsurvey.outputs.report.spec import load_catalogue
from hhsurvey.prepare.poverty import assumption_marks


def main(smk) -> None:
    flags = {
        role: round_flags(read_csv(path))
        for role, path in zip(ROLES, smk.input.indicators, strict=True)
    }
    catalogue = load_catalogue(smk.input.catalogue)
    frame = headline_frame(
        catalogue,
        read_change(smk.input.change),
        flags,
        smk.params.suppress_below,
        # a headline resting on an assumed poverty line carries its mark in the chart too
        assumption_marks(catalogue.entries, smk.params.poverty_lines, smk.params.prices),
    )
    rounds = smk.params.rounds
    labels = {r: f"{rounds[r]['name'].capitalize()} ({rounds[r]['price_year']})" for r in ROLES}
    axis = {"lak": f"LAK at {smk.params.base_year} prices"}
    (path,) = smk.output.figures
    save_svg(change_dumbbell(frame, labels, axis), path)


if __name__ == "__main__":
    run_rule(main, snakemake)  # noqa: F821 (injected by Snakemake)
