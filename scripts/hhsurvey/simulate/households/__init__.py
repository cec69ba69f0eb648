"""The households of a block of villages: every person and every module of the questionnaire.

:func:`hhsurvey.simulate.households.generate.generate_block` runs the topic steps in order on a
:class:`~hhsurvey.simulate.households.block.Block` (the arrays, parameters and random stream they
share): wealth and size, roster, education and activity, dwelling, insurance, illness and
outpatient care, admissions, births, under-fives, consumption, OOP and coping, then the tables.
"""
