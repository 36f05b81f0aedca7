"""Notifiers: one small adapter per receiver kind (webhook, Slack, PagerDuty, Alertmanager, email)."""

from slokit.alerting.notifiers.base import DeliveryError, Notifier, Receipt, RetryPolicy, Session

__all__ = ["DeliveryError", "Notifier", "Receipt", "RetryPolicy", "Session"]
