# Comparison with national figures.


rule compare_national:
    input:
        indicators=rules.estimate_indicators.output.csv,
        national=config["national_reference"],
        catalogue=config["indicators"]["catalogue"],
        lib=script_lib("compare_national"),
    output:
        comparison="results/{round}/national_comparison.csv",
    log:
        "results/logs/compare_national/{round}.log",
    benchmark:
        "results/benchmarks/compare_national/{round}.tsv"
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        national_round=get_national_round,
        level=config["design"]["level"],
        poverty_lines=config["poverty_lines"],
        prices=config["prices"],
    script:
        "../../scripts/compare_national.py"
