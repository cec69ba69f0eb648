# Revisited villages: the shared villages of two rounds, for the change report's methods.


rule summarise_revisits:
    input:
        config_files(),
        lib=lib("survey.rounds", "survey.codebook.model", "survey.io"),
    output:
        revisits="results/change/revisits.csv",
    log:
        "results/logs/summarise_revisits/change.log",
    localrule: True
    run:
        REVISITS.to_csv(output.revisits, index=False)
