"""Analysis: indicators from the catalogue, national comparison, change between rounds,
benefit-package scenarios and endline planning. Built on the engine and the catalogue."""
