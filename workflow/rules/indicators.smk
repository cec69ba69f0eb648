# Indicator estimation from the catalogue, with design-based uncertainty.


rule build_frames:
    input:
        tables=rules.clean_round.output.tables,
        households=rules.aggregate_households.output.households,
        # the stage-1 selection probabilities (certainty villages: design columns)
        weights=rules.compute_weights.output.weights,
        lib=script_lib("build_frames"),
    output:
        person="results/{round}/frames/person.parquet",
        household="results/{round}/frames/household.parquet",
        household_pop="results/{round}/frames/household_pop.parquet",
    log:
        "results/logs/build_frames/{round}.log",
    benchmark:
        "results/benchmarks/build_frames/{round}.tsv"
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        tables=TABLES,
        strata=config["design"]["strata"],
        psu=config["design"]["psu"],
        certainty_own_stratum=config["design"]["certainty_own_stratum"],
        u5_excluded_sources=config["indicators"]["u5_excluded_sources"],
        poverty_lines=config["poverty_lines"],
        prices=config["prices"],
        price_factor=price_factor,
    script:
        "../../scripts/build_frames.py"


rule estimate_indicators:
    input:
        person=rules.build_frames.output.person,
        household=rules.build_frames.output.household,
        household_pop=rules.build_frames.output.household_pop,
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
        design=config["design"],
        indicators=config["indicators"],
        poverty_lines=config["poverty_lines"],
        prices=config["prices"],
        date=config["report"]["date"],
    script:
        "../../scripts/estimate_indicators.py"


rule estimate_differences:
    input:
        person=rules.build_frames.output.person,
        household=rules.build_frames.output.household,
        household_pop=rules.build_frames.output.household_pop,
        indicators=rules.estimate_indicators.output.csv,
        catalogue=config["indicators"]["catalogue"],
        lib=script_lib("estimate_differences"),
    output:
        csv="results/{round}/differences.csv",
    log:
        "results/logs/estimate_differences/{round}.log",
    benchmark:
        "results/benchmarks/estimate_differences/{round}.tsv"
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        differences=config["differences"],
        design=config["design"],
        power=config.get("planning", {}).get("power", 0.8),
    script:
        "../../scripts/estimate_differences.py"
