"""Snakemake script: write the synthetic demo round (raw layout + truth) into a folder.

Inputs:  snakemake.input.params  (config/simulate.yaml)
Params:  snakemake.params.round  ("baseline" / "endline"), snakemake.params.scale (int),
         snakemake.params.outdir (folder)
Log:     snakemake.log[0]
"""

import logging

from hhsurvey.simulate import load_params, write_demo


def main(snakemake) -> None:
    logging.basicConfig(
        filename=str(snakemake.log[0]),
        filemode="w",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    log = logging.getLogger("simulate_demo")
    params = load_params(snakemake.input.params)
    round_ = str(snakemake.params.round)
    scale = int(snakemake.params.scale)
    outdir = str(snakemake.params.outdir)
    log.info(
        "simulating round=%s scale=%d into %s (seed %s)", round_, scale, outdir, params["seed"]
    )
    try:
        write_demo(outdir, params, round=round_, scale=scale)
    except Exception:
        log.exception("simulation failed")
        raise
    log.info("done")


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
