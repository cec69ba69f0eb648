"""What readers get: the round and change reports, the briefs, figures and the one PDF printer.

Outputs read result tables and the catalogue; they never estimate, so they import neither the
analysis layer nor the engine's design objects.
"""
