# Change since baseline: every indicator estimated in both rounds.


rule estimate_change:
    input:
        person=change_inputs("person_frame") if "change" in config else [],
        household=change_inputs("household_frame") if "change" in config else [],
        household_pop=change_inputs("household_pop_frame") if "change" in config else [],
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
        rounds=change_round_params() if "change" in config else {},
        design=config["design"],
        by=config.get("change", {}).get("by", ["area"]),
        comparison_area=config.get("change", {}).get("comparison_area"),
        power=config.get("planning", {}).get("power", 0.8),
        precision=config["indicators"].get("precision", {}),
        multiplicity=config.get("change", {}).get("multiplicity", "benjamini_hochberg"),
    script:
        "../../scripts/estimate_change.py"
