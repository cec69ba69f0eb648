"""Figures of the reports: one style, deterministic SVG, the figure registrys builders."""
