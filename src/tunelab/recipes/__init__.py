"""Worked examples from raw data to a compared, visualised model (``tunelab demo ...``)."""
