# Validation and cleaning of the canonical tables.


rule validate_round:
    input:
        tables=rules.ingest_round.output.tables,
        lib=script_lib("validate_round"),
    output:
        findings="results/{round}/validation.csv",
        summary="results/{round}/validation_summary.csv",
    log:
        "results/logs/validate_round/{round}.log",
    benchmark:
        "results/benchmarks/validate_round/{round}.tsv"
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        tables=TABLES,
        fieldwork=get_fieldwork,
        limits=config["validation"],
        responding=config["weights"]["responding_results"],
        ineligible=config["weights"]["ineligible_results"],
        extreme_mad_threshold=config["cleaning"]["extreme_mad_threshold"],
        treatments=config_slice("cleaning.village_amount_scale", "cleaning.blank_filter"),
        codebook=get_codebook,
        strata=config["design"]["strata"],
    script:
        "../../scripts/validate_round.py"


rule clean_round:
    input:
        tables=rules.ingest_round.output.tables,
        special=rules.ingest_round.output.special,
        redactions=rules.ingest_round.output.redactions,
        findings=rules.validate_round.output.findings,
        lib=script_lib("clean_round"),
    output:
        tables=expand("results/{{round}}/clean/{table}.parquet", table=TABLES),
        log_csv="results/{round}/cleaning_log.csv",
        exclusions="results/{round}/excluded_records.csv",
        row_counts="results/{round}/row_counts.csv",
    log:
        "results/logs/clean_round/{round}.log",
    benchmark:
        "results/benchmarks/clean_round/{round}.tsv"
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        tables=TABLES,
        cleaning=config["cleaning"],
        limits=config["validation"],
        strata=config["design"]["strata"],
        responding=config["weights"]["responding_results"],
    script:
        "../../scripts/clean_round.py"
