# The two-page district brief in each language of the round (HTML; rule print_<round>
# of print.smk prints it with the round's other documents).


wildcard_constraints:
    lang="[a-z]{2}",


# Light jobs.
localrules:
    render_brief,
    render_summary,


rule render_brief:
    input:
        indicators=rules.estimate_indicators.output.csv,
        comparison=rules.compare_national.output.comparison,
        differences=rules.estimate_differences.output.csv,
        weights_diagnostics=rules.compute_weights.output.diagnostics,
        # Village names shown on the page (escaped).
        frame="results/{round}/clean/frame.parquet",
        catalogue=config["indicators"]["catalogue"],
        brief=config["report"].get("brief", "config/brief.yaml"),
        # the scenario line (config/brief.yaml `scenario`), when packages are configured
        scenarios=scenario_table,
        template="report/templates/brief.html.j2",
        partials=["report/templates/_summary.html.j2"],
        css="report/static/brief.css",
        po=locale_files,
        lib=script_lib("render_brief"),
    output:
        html="results/report/{round}_brief_{lang}.html",
    log:
        "results/logs/render_brief/{round}_{lang}.log",
    benchmark:
        "results/benchmarks/render_brief/{round}_{lang}.tsv"
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        # only what the brief reads (write_brief): editing anything else in the config (the
        # cleaning rules, the planning, the list of languages) reruns no brief job
        round_meta=round_meta_slice("name", "title", "synthetic", "fieldwork"),
        # poverty_lines and prices: the mark of a figure resting on an assumed line
        config=config_slice(
            "design.level",
            "report.fonts",
            "money",
            "prices",
            "poverty_lines",
            "scenarios",
            "indicators.catalogue",
        ),
        locale_dir="report/locale",
    script:
        "../../scripts/render_brief.py"


rule render_summary:
    input:
        indicators=rules.estimate_indicators.output.csv,
        comparison=rules.compare_national.output.comparison,
        weights_diagnostics=rules.compute_weights.output.diagnostics,
        catalogue=config["indicators"]["catalogue"],
        brief=config["report"].get("brief", "config/brief.yaml"),
        differences=rules.estimate_differences.output.csv,
        implications=IMPLICATIONS,
        scenarios=scenario_table,
        template="report/templates/summary.html.j2",
        partials=["report/templates/_summary.html.j2"],
        css="report/static/summary.css",
        po=locale_files,
        lib=script_lib("render_summary"),
    output:
        html="results/report/{round}_summary_{lang}.html",
    log:
        "results/logs/render_summary/{round}_{lang}.log",
    benchmark:
        "results/benchmarks/render_summary/{round}_{lang}.tsv"
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        round_meta=round_meta_slice("name", "title", "synthetic", "fieldwork"),
        # poverty_lines and prices: the mark of a figure resting on an assumed line
        config=config_slice(
            "design.level",
            "report.fonts",
            "money",
            "prices",
            "poverty_lines",
            "scenarios",
            "indicators.catalogue",
        ),
        locale_dir="report/locale",
    script:
        "../../scripts/render_summary.py"
