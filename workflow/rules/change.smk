# Change since baseline: every indicator estimated in both rounds.


rule estimate_change:
    input:
        tables=change_inputs("tables") if "change" in config else [],
        households=change_inputs("households") if "change" in config else [],
        indicators=change_inputs("indicators") if "change" in config else [],
        catalogue=config["indicators"]["catalogue"],
        lib=script_lib("estimate_change"),
    output:
        change="results/change/indicators_change.csv",
    log:
        "results/logs/estimate_change/change.log",
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        tables=TABLES,
        rounds=change_round_params() if "change" in config else {},
        design=config["design"],
        indicators=config["indicators"],
        poverty_lines=config["poverty_lines"],
        by=config.get("change", {}).get("by", ["area"]),
        comparison_area=config.get("change", {}).get("comparison_area"),
    script:
        "../../scripts/estimate_change.py"
