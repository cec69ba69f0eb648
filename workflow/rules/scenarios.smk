# Benefit-package scenarios: financial protection and cost if a scheme paid for some care.

SCENARIO_TABLES = ["household", "person", "episode", "admission", "birth"]


rule simulate_scenarios:
    input:
        tables=expand("results/{{round}}/clean/{table}.parquet", table=SCENARIO_TABLES),
        household=rules.build_frames.output.household,
        catalogue=config["indicators"]["catalogue"],
        lib=script_lib("simulate_scenarios"),
    output:
        csv="results/{round}/scenarios.csv",
    log:
        "results/logs/simulate_scenarios/{round}.log",
    benchmark:
        "results/benchmarks/simulate_scenarios/{round}.tsv"
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        tables=SCENARIO_TABLES,
        scenarios=config.get("scenarios", {}),
        design=config["design"],
        indicators=config["indicators"],
        poverty_lines=config["poverty_lines"],
        prices=config["prices"],
        price_factor=price_factor,
    script:
        "../../scripts/simulate_scenarios.py"
