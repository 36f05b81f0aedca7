"""Alerting: burn-rate policies, alert state and the notifiers that tell people."""
