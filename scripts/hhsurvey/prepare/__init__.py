"""Preparation of a round: validate, clean, post-code, weight, aggregate, poverty lines, frames."""
