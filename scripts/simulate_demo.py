"""Rule simulate_demo: regenerate the synthetic demo rounds (raw layout + truth) in place.

Params: rounds (names), scale (int), outdir (folder holding one sub-folder per round).
Output: a manifest of the written files with their SHA-256 checksums.
"""

import logging
from pathlib import Path

from hhsurvey.cli import run_rule
from hhsurvey.simulate.params import load_params
from hhsurvey.simulate.simulator import write_demo
from hhsurvey.survey.io import sha256

log = logging.getLogger("hhsurvey.simulate_demo")


def main(smk) -> None:
    params = load_params(smk.input.params)
    lines = []
    for round_ in smk.params.rounds:
        outdir = Path(smk.params.outdir) / round_
        log.info(
            "simulating %s (scale %d, seed %s) into %s",
            round_,
            smk.params.scale,
            params["seed"],
            outdir,
        )
        write_demo(outdir, params, round=round_, scale=int(smk.params.scale))
        lines += [f"{sha256(p)}  {p}" for p in sorted(outdir.iterdir()) if p.is_file()]
    Path(smk.output.manifest).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    run_rule(main, snakemake)  # noqa: F821 (injected by Snakemake)
