"""The round report: spec (report as data), formatting, tables, context, rendering, provenance,
and :mod:`.build`, which reads the inputs and renders ``results/report/{round}.html``."""
