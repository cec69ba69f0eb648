# Printing: every document of a round (report, briefs, summaries) in one Chromium session, the
# change report and its summaries in another (hhsurvey.outputs.pdf: running head and foot,
# contents with page numbers, relative links). One rule per round, made in this loop, because
# the languages of a round's brief are the round's own (`rounds.<round>.languages`).


for _round in config["analyse"]:

    rule:
        name:
            f"print_{_round}"
        input:
            html=[html for html, _, _ in round_documents(_round)],
            lib=script_lib("print_documents"),
        output:
            pdf=[pdf for _, pdf, _ in round_documents(_round)],
        log:
            f"results/logs/print/{_round}.log",
        benchmark:
            f"results/benchmarks/print/{_round}.tsv"
        localrule: True
        conda:
            "../../envs/hhsurvey.yaml"
        params:
            outline=[outline for _, _, outline in round_documents(_round)],
            chromium=config["report"]["chromium"],
            # the PDF's print time when SOURCE_DATE_EPOCH is not set (byte-identical reruns)
            date=config["report"]["date"],
        script:
            "../../scripts/print_documents.py"


if "change" in config:

    rule print_change:
        input:
            html=[html for html, _, _ in change_documents()],
            lib=script_lib("print_documents"),
        output:
            pdf=[pdf for _, pdf, _ in change_documents()],
        log:
            "results/logs/print/change.log",
        benchmark:
            "results/benchmarks/print/change.tsv"
        localrule: True
        conda:
            "../../envs/hhsurvey.yaml"
        params:
            outline=[outline for _, _, outline in change_documents()],
            chromium=config["report"]["chromium"],
            date=config["report"]["date"],
        script:
            "../../scripts/print_documents.py"
