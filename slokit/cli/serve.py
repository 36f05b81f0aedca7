"""``slokit serve``: the ingest API, read API, evaluator and dashboard in one process (uvicorn)."""

from __future__ import annotations

import secrets

import click

from slokit.errors import UsageError
from slokit.spec.durations import parse_duration


def _seconds(text: str, what: str) -> float:
    try:
        return float(parse_duration(text).seconds)
    except ValueError as exc:
        raise UsageError(f"{what} {text!r}: {exc}; use a duration such as 30s or 1m") from None


@click.command(
    "serve",
    epilog="""\b
Examples:
  SLOKIT_API_TOKEN=s3cret slokit serve --spec examples/mtogo --store mtogo.duckdb
  curl -H 'Authorization: Bearer s3cret' --data-binary @events.json \\
       http://127.0.0.1:8080/api/v1/streams/orders/events

Exit codes: 0 stopped (Ctrl-C or SIGTERM), 1 the port is taken or the spec or the store could
not be used, 2 wrong usage.
""",
)
@click.option(
    "--spec",
    "spec_paths",
    multiple=True,
    required=True,
    type=click.Path(exists=True),
    help="Spec file or folder (repeatable).",
)
@click.option(
    "--store", "store_path", required=True, type=click.Path(), help="The store file (created if absent)."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--token-env",
    default="SLOKIT_API_TOKEN",
    show_default=True,
    help="Environment variable holding the bearer token for ingest and admin.",
)
@click.option(
    "--protect-read", is_flag=True, help="Require the token for the read API and dashboard data too."
)
@click.option("--eval-interval", default="30s", show_default=True, help="How often alerts are evaluated.")
@click.option("--lateness", default="48h", show_default=True, help="Accepted lateness of events.")
@click.option(
    "--alert-settings", type=click.Path(exists=True), default=None, help="Alert policy settings file."
)
@click.option(
    "--notify-settings",
    type=click.Path(exists=True),
    default=None,
    help="Notification settings (where each AlertNotificationTarget delivers); without, notices are logged.",
)
@click.option(
    "--max-body",
    default=32 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(1),
    help="Largest ingest body in bytes (also after gzip).",
)
def serve(
    spec_paths: tuple[str, ...],
    store_path: str,
    host: str,
    port: int,
    token_env: str,
    protect_read: bool,
    eval_interval: str,
    lateness: str,
    alert_settings: str | None,
    max_body: int,
    notify_settings: str | None,
) -> None:
    """Serve the API and the dashboard. Ingest and admin need a bearer token: the one in the
    environment variable (SLOKIT_API_TOKEN), or a random one printed at start."""
    import os

    from slokit.server.state import ServerConfig

    token = os.environ.get(token_env) or ""
    generated = not token
    if generated:
        token = secrets.token_urlsafe(24)
    config = ServerConfig(
        spec_paths=spec_paths,
        store_path=store_path,
        token=token,
        protect_read=protect_read,
        max_body_bytes=max_body,
        eval_interval=_seconds(eval_interval, "--eval-interval"),
        lateness_seconds=_seconds(lateness, "--lateness"),
        alert_settings=alert_settings,
        notify_settings=notify_settings,
    )
    if generated:
        click.echo(f"slokit: no {token_env} set; this run's API token is {token}", err=True)
    run(config, host, port)


def check_port(host: str, port: int) -> None:
    """Fail with a clear message (exit 1) when the address cannot be bound, before any work."""
    import socket

    from slokit.errors import SlokitError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise SlokitError(
                f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port"
            ) from None


def run(config: object, host: str, port: int, *, evaluate: bool = True) -> None:
    """Build the app (the store opens here, so errors show before listening) and serve until Ctrl-C."""
    import uvicorn

    from slokit.server.app import create_app
    from slokit.server.state import ServerConfig

    assert isinstance(config, ServerConfig)
    check_port(host, port)
    app = create_app(config, evaluate=evaluate)
    click.echo(f"slokit: dashboard and API on http://{host}:{port}/", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on")
