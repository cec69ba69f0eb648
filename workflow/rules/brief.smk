# The two-page district brief in each language of the round (HTML, then PDF through Chromium).


wildcard_constraints:
    lang="[a-z]{2}",


# Light jobs; printing needs the submitting node's Chromium.
localrules:
    render_brief,
    print_brief,


rule render_brief:
    input:
        indicators=rules.estimate_indicators.output.csv,
        comparison=rules.compare_national.output.comparison,
        weights_diagnostics=rules.compute_weights.output.diagnostics,
        # Village names shown on the page (escaped).
        frame="results/{round}/clean/frame.parquet",
        catalogue=config["indicators"]["catalogue"],
        brief=config["report"].get("brief", "config/brief.yaml"),
        template="report/templates/brief.html.j2",
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
        # only what the brief reads (write_brief): editing anything else in the config, a
        # scenario package or the list of languages, reruns no brief job
        round_meta=round_meta_slice("name", "synthetic", "fieldwork"),
        config=config_slice("design.level", "report.fonts"),
        locale_dir="report/locale",
    script:
        "../../scripts/render_brief.py"


rule print_brief:
    input:
        html=rules.render_brief.output.html,
        lib=script_lib("print_brief"),
    output:
        pdf="results/report/{round}_brief_{lang}.pdf",
    log:
        "results/logs/print_brief/{round}_{lang}.log",
    benchmark:
        "results/benchmarks/print_brief/{round}_{lang}.tsv"
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        chromium=config["report"]["chromium"],
        # date stamped into the PDF when SOURCE_DATE_EPOCH is not set (reproducible output)
        date=config["report"]["date"],
    script:
        "../../scripts/print_brief.py"
