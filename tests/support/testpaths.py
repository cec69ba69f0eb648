"""Where things are, for every test tier (tests/unit/<layer>, golden, workflow, browser).

Tests find the repository and the fixtures from here, never from their own depth in the tree.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
FIXTURES = TESTS / "fixtures"
R_FIXTURES = FIXTURES / "r"
R_DATA = R_FIXTURES / "data"
# Real survey data (Stata's NHANES II, R's YRBS): tests/fixtures/surveys/README.md
SURVEYS = FIXTURES / "surveys"
# Small feature configurations the workflow tests pass with --configfile (.test/README.md)
FEATURE_CONFIGS = REPO / ".test" / "config"
