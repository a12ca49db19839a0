"""Turning recordings into episodes: `add`, `edit`, derived files, provenance, the on-air copy.

Processes audio through audio/ and writes the show through show/; never uploads."""
