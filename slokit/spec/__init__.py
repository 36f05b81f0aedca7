"""The SLO model, loading and validation. Knows nothing of storage or telemetry."""
