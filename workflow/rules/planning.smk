# Endline planning from a round: minimum detectable change and the sample a target needs.


rule plan_endline:
    input:
        indicators=rules.estimate_indicators.output.csv,
        households=rules.aggregate_households.output.households,
        catalogue=config["indicators"]["catalogue"],
        lib=script_lib("plan_endline"),
    output:
        planning="results/{round}/endline_planning.csv",
    log:
        "results/logs/plan_endline/{round}.log",
    benchmark:
        "results/benchmarks/plan_endline/{round}.tsv"
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        design=config["design"],
        planning=config.get("planning", {}),
    script:
        "../../scripts/plan_endline.py"
