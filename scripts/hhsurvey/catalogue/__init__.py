"""The indicator catalogue (``config/indicators.yaml``): what each indicator is.

Read by analysis (to estimate) and by outputs (to label, place and describe); it imports no
part of the engine, so a report or a brief that only reads the catalogue stays small.
"""
