"""Rule plan_endline: minimum detectable change and sample needed, from the baseline."""

import pandas as pd

from hhsurvey.analysis.planning import plan_endline
from hhsurvey.catalogue.model import load_catalogue
from hhsurvey.cli import run_rule


def main(smk) -> None:
    indicators = pd.read_csv(smk.input.indicators, keep_default_na=False, na_values=[""])
    households = pd.read_parquet(smk.input.households)
    design = smk.params.design
    headline = [e.id for e in load_catalogue(smk.input.catalogue) if e.headline]
    plan = plan_endline(
        indicators,
        headline,
        villages=int(households[design["psu"]].nunique()),
        households=len(households),
        strata=int(households[design["strata"]].nunique()),
        planning=smk.params.planning,
    )
    plan.to_csv(smk.output.planning, index=False)


if __name__ == "__main__":
    run_rule(main, snakemake)  # noqa: F821 (injected by Snakemake)
