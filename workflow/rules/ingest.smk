# Ingest: raw module files -> canonical Parquet tables through the round's codebook.


rule simulate_demo:
    # Regenerates the committed demo data (not part of `all`): snakemake simulate_demo -c1
    input:
        params="config/simulate.yaml",
        lib=lib("simulate"),
    output:
        manifest="results/simulate/demo_manifest.txt",
    log:
        "results/logs/simulate_demo.log",
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        rounds=["baseline", "endline"],
        outdir="raw/demo",
        scale=1,
    script:
        "../../scripts/simulate_demo.py"


rule ingest_round:
    input:
        raw=get_raw_files,
        codebook=get_codebook,
        lib=lib("codebook", "io", "codebook_check", "codebook_match"),
    output:
        tables=expand("results/{{round}}/ingest/{table}.parquet", table=TABLES),
        special="results/{round}/ingest/special_codes.parquet",
        manifest="results/{round}/ingest/manifest.csv",
    log:
        "results/logs/ingest_round/{round}.log",
    benchmark:
        "results/benchmarks/ingest_round/{round}.tsv"
    conda:
        "../../envs/hhsurvey.yaml"
    params:
        raw_dir=get_raw_dir,
        tables=TABLES,
    script:
        "../../scripts/ingest_round.py"
