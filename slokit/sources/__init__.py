"""Where SLI numbers come from: the embedded event store and Prometheus-compatible engines."""
