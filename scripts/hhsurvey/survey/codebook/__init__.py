"""Codebooks: the model (:mod:`.model`), the one-pass check (:mod:`.check`), the draft for a new
round (:mod:`.draft`) and the text matching both use (:mod:`.match`)."""
