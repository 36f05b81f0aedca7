"""``slokit serve``: ingest API, read and admin API, background evaluator and the web dashboard."""
