# Two commands: `make report` builds the demo report, `make test` runs every check.
# Only Python >= 3.11 and make are needed; everything else goes into .venv from the lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: report test lint unit lock clean bench i18n-check i18n-extract test-cluster system

$(STAMP): envs/requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r envs/requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# Debian packages (Chromium for the PDFs, Noto Sans Lao, poppler): installed when run as root,
# otherwise the apt-get command to run is printed.
system:
	bash envs/install_debian.sh

report: $(STAMP) system
	$(BIN)/snakemake --cores all --show-failed-logs --rerun-incomplete
	@for f in results/report/*.html; do echo "Report: $(CURDIR)/$$f"; done

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check .
	$(BIN)/snakemake --lint

# The fast tier: tests/unit and tests/golden (no Snakemake run, no browser): about a minute on
# two idle cores (some 100 s of CPU in all; longer when the cores are shared). Tests read the
# demo's ids from config/ (tests/support/demo_config.py), so growing the catalogue, the
# report's sections, the packages or the languages needs no test edit. The workflow tests'
# small feature configurations are in .test/config/ (.test/README.md).
unit: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m "not slow" tests/unit tests/golden

# The test files run on two workers (pytest-xdist); the tests of one file stay on one worker,
# so a module's workflow run is made once.
test: lint system
	$(BIN)/python -m pytest -n 2 --dist loadfile

# Translation catalogues of the brief (docs/i18n.md). i18n-check fails on a string the brief
# uses that is missing from report/locale/messages.pot, or untranslated/fuzzy in a language;
# tests/test_brief_messages.py runs the same check, so `make test` covers it.
i18n-extract: $(STAMP)
	PYTHONPATH=scripts $(BIN)/python -m hhsurvey.outputs.i18n extract

i18n-check: $(STAMP)
	PYTHONPATH=scripts $(BIN)/python -m hhsurvey.outputs.i18n check

# A one-node SLURM cluster on this machine (root, Debian): the README's cluster command,
# outputs byte-identical to a local run, a planted bad input (docs/cluster.md, "The test").
test-cluster: $(STAMP)
	$(BIN)/python tests/cluster/run_cluster.py

lock: $(STAMP)
	{ echo "# Pinned environment that \`make\` installs (pip install -r envs/requirements.lock)."; \
	  echo "# Regenerate after changing pyproject.toml: make lock"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^hhsurvey'; } > envs/requirements.lock

bench: $(STAMP)
	$(BIN)/python benchmarks/run_scale.py

clean:
	rm -rf results .snakemake
