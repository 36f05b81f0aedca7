"""``--source prometheus`` of ``slokit report``: flags to a query client, states with problems as notes.

Kept apart from :mod:`slokit.cli.report` so the store path stays as it was and the HTTP client
is imported only when asked for.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime

import click

from slokit.errors import UsageError
from slokit.sources.prom_counts import PrometheusCounts, counting, evaluate_all, unreachable
from slokit.sources.prometheus import ClientConfig, PrometheusClient, headers_from
from slokit.sources.status import SLOState
from slokit.spec.model import Spec


def client_config(
    url: str | None, headers: Sequence[str], bearer_token_env: str | None, timeout: float
) -> ClientConfig:
    """The client settings from the CLI flags; a missing URL or token variable is a usage error."""
    if not url:
        raise UsageError("--source prometheus needs --prometheus-url URL (e.g. http://127.0.0.1:9090)")
    try:
        parsed = headers_from(headers)
    except ValueError as exc:
        raise UsageError(f"--header {exc}") from None
    token = None
    if bearer_token_env is not None:
        token = os.environ.get(bearer_token_env)
        if not token:
            raise UsageError(
                f"--bearer-token-env {bearer_token_env}: that environment variable is empty or unset"
            )
    if timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    return ClientConfig(url, headers=parsed, bearer_token=token, timeout=timeout)


def prometheus_states(
    spec: Spec,
    url: str | None,
    headers: Sequence[str],
    bearer_token_env: str | None,
    timeout: float,
    at: datetime,
    slo_names: Sequence[str],
    windows: Sequence[int] | None = None,
) -> tuple[list[SLOState], str | None]:
    """Every SLO's state from the engine, and a message when it could not be reached.

    ``windows``: the burn-rate windows (seconds) to report; None for every window.
    """
    config = client_config(url, headers, bearer_token_env, timeout)
    chosen = [spec.slo(n) for n in slo_names] if slo_names else list(spec)
    if not any(not isinstance(counting(slo, o), str) for slo in chosen for o in slo.objectives):
        click.echo(
            "slokit: note: no SLO here reads `type: prometheus` sources, so nothing is queried and every "
            "SLO is reported as no data; SLIs of `type: slokit` are reported with --store FILE",
            err=True,
        )
    with PrometheusClient(config) as client:
        states = evaluate_all(spec, PrometheusCounts(client), at, list(slo_names) or None, windows)
    lost = unreachable(states)
    if not lost:
        return states, None
    return states, f"{len(lost)} objective(s) reported as no data: {lost[0]}"
