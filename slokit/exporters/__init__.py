"""Exporters: what slokit writes for other tools (Prometheus rules, dashboards, reports)."""
