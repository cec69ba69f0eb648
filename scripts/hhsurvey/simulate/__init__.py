"""The synthetic Vang Vieng survey: population, sample, raw files and the truth (all SYNTHETIC).

:mod:`hhsurvey.simulate.simulator` runs the stages (``python -m hhsurvey.simulate``); the other
modules hold them by what they make (parameters, village frame, households, sample, recording,
planted errors, truth, raw layout and writing), see its docstring.
"""
