"""The two-page district brief: key messages, the care cascade and the brief itself."""
