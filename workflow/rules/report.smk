# Figures and the self-contained HTML report.

FIGURES = report_figures("round")
REPORT_TEMPLATES = [
    "report/templates/report.html.j2",
    "report/templates/_macros.html.j2",
    "report/templates/_blocks.html.j2",
]


localrules:
    render_report,
    compare_national,
    print_report,


rule plot_figures:
    input:
        indicators=rules.estimate_indicators.output.csv,
        comparison=rules.compare_national.output.comparison,
        households=rules.aggregate_households.output.households,
        catalogue=config["indicators"]["catalogue"],
        spec=REPORT_SPEC,
        lib=script_lib("plot_figures"),
    output:
        figures=report(
            expand("results/{{round}}/figures/{figure}.svg", figure=FIGURES),
            caption="../../report/captions/figure.rst",
            category="Figures",
            labels={"round": "{round}"},
        ),
    log:
        "results/logs/plot_figures/{round}.log",
    benchmark:
        "results/benchmarks/plot_figures/{round}.tsv"
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        names=FIGURES,
        che_curve_max=config["indicators"]["che_curve_max"],
        che_curve_step=config["indicators"]["che_curve_step"],
    script:
        "../../scripts/plot_figures.py"


rule render_report:
    input:
        indicators=rules.estimate_indicators.output.csv,
        xlsx=rules.estimate_indicators.output.xlsx,
        comparison=rules.compare_national.output.comparison,
        validation=rules.validate_round.output.summary,
        validation_findings=rules.validate_round.output.findings,
        cleaning_log=rules.clean_round.output.log_csv,
        row_counts=rules.clean_round.output.row_counts,
        weights_diagnostics=rules.compute_weights.output.diagnostics,
        manifest=rules.ingest_round.output.manifest,
        # Survey free text shown on the page (escaped): village names, "other, specify".
        frame="results/{round}/clean/frame.parquet",
        person="results/{round}/clean/person.parquet",
        episode="results/{round}/clean/episode.parquet",
        determinants=rules.estimate_indicators.output.determinants,
        figures=rules.plot_figures.output.figures,
        catalogue=config["indicators"]["catalogue"],
        report_spec=REPORT_SPEC,
        brief_spec=config["report"]["brief"],
        # stages that add sections (config/report.yaml, kind include), when configured
        scenarios=(
            "results/{round}/scenarios.csv" if config.get("scenarios", {}).get("packages") else []
        ),
        planning="results/{round}/endline_planning.csv" if "planning" in config else [],
        codebook=get_codebook,
        national=config["national_reference"],
        config_file="config/config.yaml",
        template=REPORT_TEMPLATES[0],
        partials=REPORT_TEMPLATES[1:],
        css="report/static/report.css",
        lib=script_lib("render_report"),
    output:
        html=report(
            "results/report/{round}.html",
            caption="../../report/captions/report.rst",
            category="Report",
            labels={"round": "{round}"},
        ),
    log:
        "results/logs/render_report/{round}.log",
    benchmark:
        "results/benchmarks/render_report/{round}.tsv"
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        round_meta=get_round_meta,
        figure_names=FIGURES,
        # the whole validated config: the report prints it in its provenance annex (and
        # config/config.yaml, an input, with its checksum), so every key is part of the page
        config=config,
    script:
        "../../scripts/render_report.py"


rule print_report:
    input:
        html=rules.render_report.output.html,
        lib=script_lib("print_report"),
    output:
        pdf=report(
            "results/report/{round}.pdf",
            caption="../../report/captions/report.rst",
            category="Report",
            labels={"round": "{round} (PDF)"},
        ),
    log:
        "results/logs/print_report/{round}.log",
    benchmark:
        "results/benchmarks/print_report/{round}.tsv"
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        chromium=config.get("report", {}).get("chromium", ""),
        # the PDF's print time when SOURCE_DATE_EPOCH is not set (byte-identical reruns)
        date=config["report"]["date"],
    script:
        "../../scripts/print_report.py"
