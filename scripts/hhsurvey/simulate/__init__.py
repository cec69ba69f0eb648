"""The synthetic Vang Vieng survey: population, sample, raw files and the truth (all SYNTHETIC)."""
