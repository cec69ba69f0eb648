"""Survey files: reading raw SPSS/Stata/CSV files through a codebook, privacy, round config."""
