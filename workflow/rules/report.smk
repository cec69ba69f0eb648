# Figures and the self-contained HTML report.

FIGURES = report_figures("round")
REPORT_TEMPLATES = [
    "report/templates/report.html.j2",
    "report/templates/_macros.html.j2",
    "report/templates/_blocks.html.j2",
    "report/templates/_summary.html.j2",
    "report/templates/_scenarios.html.j2",
    "report/templates/_planning.html.j2",
]


localrules:
    render_report,
    compare_national,


rule plot_figures:
    input:
        indicators=rules.estimate_indicators.output.csv,
        comparison=rules.compare_national.output.comparison,
        households=rules.aggregate_households.output.households,
        catalogue=config["indicators"]["catalogue"],
        spec=REPORT_SPEC,
        # the round's questionnaire categories: an indicator it cannot measure is not drawn
        codebook=get_codebook,
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
        differences=rules.estimate_differences.output.csv,
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
        implications=IMPLICATIONS,
        # stages that add sections (config/report.yaml, kind include), when configured
        scenarios=scenario_table,
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
        # the annex as files beside the report (hhsurvey.outputs.report.files)
        files=directory("results/report/{round}_files"),
    log:
        "results/logs/render_report/{round}.log",
    benchmark:
        "results/benchmarks/render_report/{round}.tsv"
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        round_meta=get_round_meta,
        figure_names=FIGURES,
        # the whole validated config: the report writes it beside itself (configuration.csv)
        # and prints config/config.yaml's checksum, so every key is part of the report
        config=config,
    script:
        "../../scripts/render_report.py"
