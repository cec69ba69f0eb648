# Reads every configuration file of the run as plain data before Snakemake loads it: a YAML
# error, a YAML tag or Snakemake's YTE templating (`__use_yte__`, which evaluates Python
# expressions) stops the run with the project's what / where / how-to-fix message instead of
# a traceback or a misleading hint. A configuration file is code to Snakemake: trust it like
# code (README.md, "Configuration files are code").
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "scripts"))

from hhsurvey.survey.codebook.model import check_config_file  # noqa: E402
from hhsurvey.errors import InputError  # noqa: E402

for _cf in ["config/config.yaml", *workflow.overwrite_configfiles]:
    try:
        check_config_file(_cf)
    except InputError as _err:
        raise WorkflowError(_err.message) from None
