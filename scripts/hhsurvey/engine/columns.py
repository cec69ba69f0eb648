"""The column vocabulary of estimates: the one declaration of the tidy names.

Every estimator of the engine returns one row per domain with the columns of
:data:`OUTPUT_COLUMNS` (after the ``by`` columns); tables built on estimates elsewhere (indicators,
changes, scenarios) take these names from here (:mod:`hhsurvey.engine.results` builds the
tables): each column has a name of its own
(:data:`ESTIMATE`, :data:`SE`, ...), the tables of indicators call the unweighted count
``n_unweighted`` (:data:`TABLE_COLUMNS`), and :data:`CHANGE_COLUMNS` is the table of changes
between two rounds (read by analysis, which writes it, and by the change report);
:data:`DIFFERENCE_COLUMNS` the table of tested differences between groups of one round.

Plain names only, no imports: the output layer reads this module without loading the engine.
"""

from __future__ import annotations

__all__ = [
    "CHANGE_COLUMNS",
    "CI_HIGH",
    "CI_LOW",
    "DEFF",
    "DF",
    "DIFFERENCE_COLUMNS",
    "ESTIMATE",
    "N",
    "N_UNWEIGHTED",
    "N_WEIGHTED",
    "OUTPUT_COLUMNS",
    "SE",
    "TABLE_COLUMNS",
]

#: The tidy columns of an estimate, in order.
OUTPUT_COLUMNS: tuple[str, ...] = (
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "deff",
    "n",
    "n_weighted",
)
#: Each column of :data:`OUTPUT_COLUMNS` by name, for tables that take some of them.
ESTIMATE, SE, CI_LOW, CI_HIGH, DF, DEFF, N, N_WEIGHTED = OUTPUT_COLUMNS
#: The tables of indicators call an estimate's unweighted count ``n`` this (beside
#: ``n_weighted``).
N_UNWEIGHTED = "n_unweighted"
#: :data:`OUTPUT_COLUMNS` as the tables of indicators name them.
TABLE_COLUMNS: tuple[str, ...] = tuple(N_UNWEIGHTED if c == N else c for c in OUTPUT_COLUMNS)
#: Columns of the change between two rounds (``results/change/indicators_change.csv``): each
#: round's estimate and interval, then the change with its SE, interval, df and test, then
#: the flags and the minimum detectable change.
CHANGE_COLUMNS: list[str] = [
    "indicator",
    "domain",
    "level",
    "baseline",
    f"baseline_{CI_LOW}",
    f"baseline_{CI_HIGH}",
    "endline",
    f"endline_{CI_LOW}",
    f"endline_{CI_HIGH}",
    "change",
    SE,
    CI_LOW,
    CI_HIGH,
    DF,
    "p_value",
    "significant",
    "method",
    # the flags of the estimates the change rests on (DHS: suppressed, caution, or "not
    # applicable"; precision: low or not estimable), the change's own, and the minimum
    # detectable change of a change that is not significant
    "baseline_flag",
    "endline_flag",
    "flag",
    "baseline_precision",
    "endline_precision",
    "precision",
    "precision_note",
    "mdc",
    # the p-value adjusted for multiplicity over the headline family (the overall change of
    # each key indicator, catalogue key_rank); blank for other rows
    "p_adjusted",
]
#: Columns of the tested differences between two groups of one round
#: (``results/{round}/differences.csv``, written by :mod:`hhsurvey.analysis.differences`, read
#: by the key messages, the brief, the report and "What this means"), one row per pair.
DIFFERENCE_COLUMNS: list[str] = [
    "family",
    "multiplicity",
    "indicator",
    "by",
    "level_a",
    "level_b",
    "estimate_a",
    "estimate_b",
    "difference",
    SE,
    CI_LOW,
    CI_HIGH,
    DF,
    "p_value",
    "p_adjusted",
    "significant",
    "tests_in_family",
    "method",
    "flag_a",
    "flag_b",
    "n_a",
    "n_b",
    "mdc",
    "note",
]
