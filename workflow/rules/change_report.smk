# Change since baseline: the dumbbell chart and the self-contained report change.html.

CHANGE_FIGURES = report_figures("change")
CHANGE_TEMPLATES = [
    "report/templates/change.html.j2",
    "report/templates/_macros.html.j2",
    "report/templates/_change_summary.html.j2",
]


localrules:
    render_change_report,
    render_change_summary,


rule plot_change_figures:
    input:
        change=rules.estimate_change.output.change,
        indicators=change_inputs("indicators") if "change" in config else [],
        catalogue=config["indicators"]["catalogue"],
        lib=script_lib("plot_change_figures"),
    output:
        figures=report(
            expand("results/change/figures/{figure}.svg", figure=CHANGE_FIGURES),
            caption="../../report/captions/change_figure.rst",
            category="Change since baseline",
        ),
    log:
        "results/logs/plot_change_figures/change.log",
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        rounds=change_report_rounds("name", "price_year") if "change" in config else {},
        base_year=config["prices"]["base_year"],
        suppress_below=config["indicators"]["suppress_below"],
        poverty_lines=config["poverty_lines"],
        prices=config["prices"],
    script:
        "../../scripts/plot_change_figures.py"


rule render_change_report:
    input:
        change=rules.estimate_change.output.change,
        indicators=change_inputs("indicators") if "change" in config else [],
        comparison=change_inputs("comparison") if "change" in config else [],
        manifest=change_inputs("manifest") if "change" in config else [],
        figures=rules.plot_change_figures.output.figures,
        catalogue=config["indicators"]["catalogue"],
        national=config["national_reference"],
        config_files=config_files(),
        template=CHANGE_TEMPLATES[0],
        partials=CHANGE_TEMPLATES[1:],
        css="report/static/report.css",
        report_spec=REPORT_SPEC,
        revisits=rules.summarise_revisits.output.revisits,
        lib=script_lib("render_change_report"),
    output:
        html=report(
            "results/report/change.html",
            caption="../../report/captions/change.rst",
            category="Report",
            labels={"round": "change since baseline"},
        ),
        files=directory("results/report/change_files"),
    log:
        "results/logs/render_change_report/change.log",
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        rounds=change_report_rounds() if "change" in config else {},
        figure_names=CHANGE_FIGURES,
        # the whole validated config: the report prints it in its provenance annex
        config=config,
    script:
        "../../scripts/render_change_report.py"


rule render_change_summary:
    input:
        change=rules.estimate_change.output.change,
        indicators=change_inputs("indicators") if "change" in config else [],
        catalogue=config["indicators"]["catalogue"],
        template="report/templates/change_summary.html.j2",
        partials=["report/templates/_change_summary.html.j2"],
        css="report/static/summary.css",
        po=locale_files,
        lib=script_lib("render_change_summary"),
    output:
        html="results/report/change_summary_{lang}.html",
    log:
        "results/logs/render_change_summary/{lang}.log",
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        rounds=(change_report_rounds("name", "title", "synthetic") if "change" in config else {}),
        config=config_slice(
            "design.level",
            "report.fonts",
            "money",
            "prices",
            "indicators",
            "poverty_lines",
            "planning.power",
            "change.multiplicity",
        ),
        locale_dir="report/locale",
    script:
        "../../scripts/render_change_summary.py"
