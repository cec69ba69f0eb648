# Sampling weights and household aggregates.


rule compute_weights:
    input:
        frame="results/{round}/clean/frame.parquet",
        household="results/{round}/clean/household.parquet",
        person="results/{round}/clean/person.parquet",
        totals=calibration_totals,
        lib=script_lib("compute_weights"),
    output:
        weights="results/{round}/weights.parquet",
        diagnostics="results/{round}/weights_diagnostics.csv",
    log:
        "results/logs/compute_weights/{round}.log",
    benchmark:
        "results/benchmarks/compute_weights/{round}.tsv"
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        strata=config["design"]["strata"],
        ineligible=config["weights"]["ineligible_results"],
        responding=config["weights"]["responding_results"],
        trim_ratio=config["weights"]["trim_ratio"],
        calibration=config["weights"]["calibration"],
        flag_above=config["weights"]["flag_factor_above"],
    script:
        "../../scripts/compute_weights.py"


rule aggregate_households:
    input:
        tables=rules.clean_round.output.tables,
        weights=rules.compute_weights.output.weights,
        lib=script_lib("aggregate_households"),
    output:
        households="results/{round}/households.parquet",
    log:
        "results/logs/aggregate_households/{round}.log",
    benchmark:
        "results/benchmarks/aggregate_households/{round}.tsv"
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        tables=TABLES,
        strata=config["design"]["strata"],
        ctp=config["indicators"]["ctp"],
        price_factor=price_factor,
    script:
        "../../scripts/aggregate_households.py"
