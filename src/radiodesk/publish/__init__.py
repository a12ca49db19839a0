"""Putting the show live: the plan, the feed, the web pages, the station, the stores.

Moves what ingest made; never processes audio."""
