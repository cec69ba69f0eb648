# Indicator estimation from the catalogue, with design-based uncertainty.


rule estimate_indicators:
    input:
        tables=rules.clean_round.output.tables,
        households=rules.aggregate_households.output.households,
        catalogue=config["indicators"]["catalogue"],
        lib=script_lib("estimate_indicators"),
    output:
        csv="results/{round}/indicators.csv",
        parquet="results/{round}/indicators.parquet",
        xlsx="results/{round}/indicators.xlsx",
        determinants="results/{round}/determinants.csv",
    log:
        "results/logs/estimate_indicators/{round}.log",
    benchmark:
        "results/benchmarks/estimate_indicators/{round}.tsv"
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        tables=TABLES,
        design=config["design"],
        indicators=config["indicators"],
        poverty_lines=config["poverty_lines"],
        date=config["report"]["date"],
        price_factor=price_factor,
    script:
        "../../scripts/estimate_indicators.py"
