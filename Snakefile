# Vang Vieng household health survey: from raw SPSS/Stata files to the baseline report.
#
# Outputs, per round (wildcard `round`, e.g. baseline or endline):
#   results/{round}/ingest/     canonical tables (Parquet), special codes, file manifest
#   results/{round}/validation.csv, cleaning_log.csv, weights.parquet, households.parquet
#   results/{round}/indicators.csv (.parquet, .xlsx), national_comparison.csv, figures/
#   results/report/{round}.html  the self-contained report
#   results/change/              change since baseline (with config/endline.yaml); its report is
#                                results/report/change.html
# Run: snakemake --cores all   (README.md explains the rest)
from snakemake.utils import min_version

min_version("9.5")


include: "workflow/rules/config_guard.smk"


configfile: "config/config.yaml"


report: "report/captions/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/clean.smk"
include: "workflow/rules/weights.smk"
include: "workflow/rules/indicators.smk"
include: "workflow/rules/compare.smk"
include: "workflow/rules/scenarios.smk"
include: "workflow/rules/change.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/brief.smk"
include: "workflow/rules/revisits.smk"
include: "workflow/rules/change_report.smk"
include: "workflow/rules/planning.smk"
include: "workflow/rules/cluster.smk"


rule all:
    default_target: True
    input:
        get_final_outputs(),
