"""Indicators from the declarative catalogue, each estimated with the design-based engine."""
