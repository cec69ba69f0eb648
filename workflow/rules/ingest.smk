# Ingest: raw module files -> canonical Parquet tables through the round's codebook.


rule simulate_demo:
    # Regenerates the committed demo data (not part of `all`): snakemake simulate_demo -c1
    input:
        params="config/simulate.yaml",
        lib=script_lib("simulate_demo"),
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
        lib=script_lib("ingest_round"),
    output:
        tables=expand("results/{{round}}/ingest/{table}.parquet", table=TABLES),
        special="results/{round}/ingest/special_codes.parquet",
        redactions="results/{round}/ingest/redactions.parquet",
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
        # content of the raw files: a changed file reruns the round whatever its mtime
        checksums=raw_checksums,
        show_verbatim=config["report"].get("show_verbatim", True),
    script:
        "../../scripts/ingest_round.py"
