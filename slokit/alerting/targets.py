"""Notifiers from OpenSLO ``AlertNotificationTarget`` objects plus slokit's notification settings.

An ``AlertNotificationTarget`` names a target and its kind (``spec.target``: webhook, slack,
pagerduty, alertmanager, email); where it delivers to lives in a settings file, keyed by the
target's name::

    notifications:
      retry: {attempts: 3, timeout: 10s, backoff: 1s, max_backoff: 30s}
      targets:
        team-slack:   {url_env: SLACK_WEBHOOK_URL}
        oncall:       {routing_key_env: PAGERDUTY_ROUTING_KEY}

Secrets (signing secrets, passwords, routing keys, Slack URLs, auth headers) are only ever read
from environment variables named in the settings; the settings and every error name the
variable, never its value. YAML (``.yaml``/``.yml``) and TOML (``.toml``) files are read.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import yaml

from slokit.alerting.notifiers.alertmanager import DEFAULT_ALERTNAME, AlertmanagerNotifier
from slokit.alerting.notifiers.base import Notifier, RetryPolicy
from slokit.alerting.notifiers.email import SECURITY_MODES, EmailNotifier, Security
from slokit.alerting.notifiers.pagerduty import (
    DEFAULT_SEVERITY_MAP,
    DEFAULT_URL,
    PAGERDUTY_SEVERITIES,
    PagerDutyNotifier,
)
from slokit.alerting.notifiers.slack import SlackNotifier
from slokit.alerting.notifiers.webhook import WebhookNotifier
from slokit.errors import DiagnosticSink, Location, SlokitError, SpecError
from slokit.spec.durations import parse_duration
from slokit.spec.model import AlertNotificationTarget

#: Accepted spellings of each kind in ``AlertNotificationTarget.spec.target`` or ``kind:``.
KIND_ALIASES: Mapping[str, str] = {
    "webhook": "webhook",
    "http": "webhook",
    "slack": "slack",
    "pagerduty": "pagerduty",
    "pager-duty": "pagerduty",
    "alertmanager": "alertmanager",
    "prometheus-alertmanager": "alertmanager",
    "email": "email",
    "smtp": "email",
    "mail": "email",
}
KINDS = ("webhook", "slack", "pagerduty", "alertmanager", "email")

_COMMON = {"kind", "retry"}
_ALLOWED: Mapping[str, set[str]] = {
    "webhook": _COMMON | {"url", "url_env", "secret_env", "headers", "headers_env"},
    "slack": _COMMON | {"url", "url_env"},
    "pagerduty": _COMMON | {"url", "routing_key_env", "severity_map", "source"},
    "alertmanager": _COMMON | {"url", "url_env", "alertname", "generator_url", "headers", "headers_env"},
    "email": _COMMON
    | {
        "host",
        "port",
        "security",
        "username",
        "username_env",
        "password_env",
        "from",
        "to",
        "ca_file",
        "subject_prefix",
    },
}
#: Keys that would put a secret into the file; each names the key to use instead.
_LITERAL_SECRETS = {
    "secret": "secret_env",
    "password": "password_env",
    "routing_key": "routing_key_env",
    "token": "headers_env",
}
_RETRY_KEYS = ("attempts", "timeout", "backoff", "max_backoff", "jitter")


@dataclass(frozen=True)
class NotificationSettings:
    """Where each named target delivers to, and the default retry policy. Holds no secrets."""

    targets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    source: str = "<settings>"


def load_settings(path: str | Path) -> NotificationSettings:
    """Read a YAML or TOML settings file (its ``notifications`` table, or the whole file)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise SlokitError(f"cannot read notification settings {file}: {exc.strerror or exc}") from None
    try:
        data: object = tomllib.loads(text) if file.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise SlokitError(
            f"{file}: not valid {'TOML' if file.suffix == '.toml' else 'YAML'}: {exc}"
        ) from None
    return parse_settings(data if data is not None else {}, source=str(file))


def parse_settings(data: object, source: str = "<settings>") -> NotificationSettings:
    """Check the settings' shape; secrets are resolved later, when notifiers are built."""
    sink = DiagnosticSink()
    where = Location(source)
    if isinstance(data, Mapping) and "notifications" in data:
        data, prefix = data["notifications"], "notifications."
    else:
        prefix = ""
    if not isinstance(data, Mapping):
        sink.error(
            "notification settings must be a mapping with a 'targets' table", where, prefix.rstrip(".")
        )
        raise SpecError("the notification settings are not valid", sink.diagnostics)
    unknown = sorted(set(map(str, data)) - {"targets", "retry"})
    if unknown:
        sink.error(f"unknown setting(s) {', '.join(unknown)}", where, prefix, hint="allowed: targets, retry")
    targets = data.get("targets", {})
    if not isinstance(targets, Mapping):
        sink.error("'targets' must map target names to their settings", where, f"{prefix}targets")
        targets = {}
    checked: dict[str, Mapping[str, Any]] = {}
    for name, config in targets.items():
        path = f"{prefix}targets.{name}"
        if not isinstance(config, Mapping):
            sink.error("a target's settings must be a mapping (url, ..._env, ...)", where, path)
            continue
        checked[str(name)] = dict(config)
        if "retry" in config:
            _retry(config["retry"], RetryPolicy(), sink, where, f"{path}.retry")
    retry = _retry(data.get("retry", {}), RetryPolicy(), sink, where, f"{prefix}retry")
    sink.raise_if_errors("the notification settings are not valid")
    return NotificationSettings(checked, retry, source)


def _retry(raw: object, base: RetryPolicy, sink: DiagnosticSink, where: Location, path: str) -> RetryPolicy:
    if not isinstance(raw, Mapping):
        sink.error("retry must be a mapping", where, path, hint=f"keys: {', '.join(_RETRY_KEYS)}")
        return base
    values: dict[str, Any] = {k: getattr(base, k) for k in _RETRY_KEYS}
    for key, value in raw.items():
        if key not in _RETRY_KEYS:
            sink.error(
                f"unknown retry setting {key!r}",
                where,
                f"{path}.{key}",
                hint=f"allowed: {', '.join(_RETRY_KEYS)}",
            )
            continue
        if key == "attempts":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 20:
                sink.error(
                    f"attempts must be a whole number from 1 to 20, got {value!r}", where, f"{path}.{key}"
                )
                continue
            values[key] = value
        elif key == "jitter":
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                sink.error(f"jitter is a fraction from 0 to 1, got {value!r}", where, f"{path}.{key}")
                continue
            values[key] = float(value)
        else:
            seconds = _seconds(value)
            if seconds is None or (key == "timeout" and seconds == 0):
                sink.error(
                    f"{key} must be seconds (a number) or a duration like 10s or 1m, got {value!r}",
                    where,
                    f"{path}.{key}",
                )
                continue
            values[key] = seconds
    try:
        return RetryPolicy(**values)
    except ValueError as exc:
        sink.error(str(exc), where, path)
        return base


def _seconds(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) and value >= 0 else None
    try:
        duration = parse_duration(value, "smh")
    except ValueError:
        return None
    return float(duration.seconds)


def kind_of(target: AlertNotificationTarget, config: Mapping[str, Any] | None) -> str | None:
    """The notifier kind: the settings' ``kind`` if given, else the target's ``spec.target``."""
    if config is not None and "kind" in config:
        return KIND_ALIASES.get(str(config["kind"]).strip().lower())
    return KIND_ALIASES.get(target.target.strip().lower())


def build_notifiers(
    targets: Iterable[AlertNotificationTarget],
    settings: NotificationSettings,
    env: Mapping[str, str] | None = None,
) -> list[Notifier]:
    """One notifier per target; every problem of every target is reported together."""
    environment = os.environ if env is None else env
    sink = DiagnosticSink()
    notifiers: list[Notifier] = []
    for target in targets:
        notifier = _build(target, settings, environment, sink)
        if notifier is not None:
            notifiers.append(notifier)
    sink.raise_if_errors("notification targets cannot be set up")
    return notifiers


def _build(
    target: AlertNotificationTarget,
    settings: NotificationSettings,
    env: Mapping[str, str],
    sink: DiagnosticSink,
) -> Notifier | None:
    name = target.name
    config = settings.targets.get(name)
    where = Location(settings.source)
    path = f"targets.{name}"
    kind = kind_of(target, config)
    if kind is None:
        shown = config["kind"] if config is not None and "kind" in config else target.target
        sink.error(
            f"notification target {name!r} has unknown kind {shown!r}",
            target.location if config is None or "kind" not in config else where,
            "spec.target" if config is None or "kind" not in config else f"{path}.kind",
            hint=f"use one of {', '.join(KINDS)}",
        )
        return None
    if config is None:
        sink.error(
            f"no settings for notification target {name!r} ({kind})",
            target.location,
            "metadata.name",
            hint=f"add '{path}' to the notification settings ({settings.source}); {_NEEDS[kind]}",
        )
        return None
    reader = _Reader(config, env, sink, where, path)
    reader.check_keys(kind)
    retry = (
        _retry(config["retry"], settings.retry, sink, where, f"{path}.retry") if "retry" in config else None
    )
    before = len(sink.errors)
    notifier = _BUILDERS[kind](name, reader, retry)
    return notifier if len(sink.errors) == before else None


_NEEDS = {
    "webhook": "it needs url (or url_env) and optionally secret_env for the signature",
    "slack": "it needs url_env naming the variable that holds the incoming-webhook URL",
    "pagerduty": "it needs routing_key_env naming the variable that holds the integration key",
    "alertmanager": "it needs url, the Alertmanager base address",
    "email": "it needs host, from and to",
}


@dataclass
class _Reader:
    """Typed access to one target's settings, recording every problem in the sink."""

    config: Mapping[str, Any]
    env: Mapping[str, str]
    sink: DiagnosticSink
    where: Location
    path: str

    def error(self, key: str, message: str, hint: str = "") -> None:
        self.sink.error(message, self.where, f"{self.path}.{key}" if key else self.path, hint)

    def check_keys(self, kind: str) -> None:
        allowed = _ALLOWED[kind]
        for key in self.config:
            if key in allowed:
                continue
            if key in _LITERAL_SECRETS:
                self.error(
                    key,
                    "secrets are not written in the settings file",
                    hint=f"put it in an environment variable and name it with {_LITERAL_SECRETS[key]}",
                )
            else:
                article = "an" if kind[0] in "aeiou" else "a"
                names = ", ".join(sorted(allowed))
                self.error(
                    key, f"unknown setting {key!r} for {article} {kind} target", hint=f"allowed: {names}"
                )

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.config.get(key, default)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.error(key, f"{key} must be a non-empty string")
            return None
        return value.strip()

    def secret(self, key: str, *, required: bool) -> str | None:
        """The value of the environment variable named by ``key`` (``..._env``)."""
        variable = self.config.get(key)
        if variable is None:
            if required:
                self.error(key, f"{key} is required", hint="name the environment variable holding the secret")
            return None
        if not isinstance(variable, str) or not variable.strip():
            self.error(key, f"{key} must name an environment variable")
            return None
        value = self.env.get(variable.strip())
        if not value:
            self.error(key, f"environment variable {variable.strip()} is not set or empty")
            return None
        return value

    def url(self, *, secret: bool = False, default: str | None = None) -> str | None:
        """``url`` or ``url_env``: exactly one; the URL must be http(s) with a host."""
        has_plain, has_env = "url" in self.config, "url_env" in self.config
        if has_plain and has_env:
            self.error("url", "give url or url_env, not both")
            return None
        if has_env:
            value = self.secret("url_env", required=True)
            key = "url_env"
        elif has_plain or default is None:
            value = self.text("url") if has_plain else None
            key = "url"
            if value is None and not has_plain:
                self.error("url", "url (or url_env) is required")
        else:
            value, key = default, "url"
        if value is None:
            return None
        try:
            parsed = httpx.URL(value)
        except (httpx.InvalidURL, ValueError):
            parsed = None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
            if has_env:
                shown = f"the URL in {self.config['url_env']}"
            else:
                shown = "the url" if secret else repr(value)
            self.error(key, f"{shown} is not an http:// or https:// URL with a host")
            return None
        return value

    def headers(self) -> tuple[dict[str, str], dict[str, str]]:
        plain: dict[str, str] = {}
        secret: dict[str, str] = {}
        raw = self.config.get("headers", {})
        if not isinstance(raw, Mapping) or not all(isinstance(v, str) for v in raw.values()):
            self.error("headers", "headers must map header names to string values")
        else:
            plain = {str(k): v for k, v in raw.items()}
        raw_env = self.config.get("headers_env", {})
        if not isinstance(raw_env, Mapping) or not all(isinstance(v, str) for v in raw_env.values()):
            self.error("headers_env", "headers_env must map header names to environment variable names")
        else:
            for header, variable in raw_env.items():
                value = self.env.get(variable)
                if not value:
                    self.error(
                        f"headers_env.{header}", f"environment variable {variable} is not set or empty"
                    )
                else:
                    secret[str(header)] = value
        return plain, secret


def _webhook(name: str, r: _Reader, retry: RetryPolicy | None) -> Notifier:
    url = r.url()
    headers, secret_headers = r.headers()
    secret = r.secret("secret_env", required=False)
    return WebhookNotifier(name, url or "", secret, headers, secret_headers, retry)


def _slack(name: str, r: _Reader, retry: RetryPolicy | None) -> Notifier:
    return SlackNotifier(name, r.url(secret=True) or "", retry)


def _pagerduty(name: str, r: _Reader, retry: RetryPolicy | None) -> Notifier:
    key = r.secret("routing_key_env", required=True)
    url = r.url(default=DEFAULT_URL)
    mapping = dict(DEFAULT_SEVERITY_MAP)
    raw = r.config.get("severity_map", {})
    if not isinstance(raw, Mapping):
        r.error("severity_map", "severity_map must map slokit severities to PagerDuty severities")
    else:
        for ours, theirs in raw.items():
            if theirs not in PAGERDUTY_SEVERITIES:
                r.error(
                    f"severity_map.{ours}",
                    f"{theirs!r} is not a PagerDuty severity",
                    hint=f"use one of {', '.join(PAGERDUTY_SEVERITIES)}",
                )
            else:
                mapping[str(ours).lower()] = theirs
    source = r.text("source", "slokit") or "slokit"
    return PagerDutyNotifier(name, key or "", url or DEFAULT_URL, mapping, source, retry)


def _alertmanager(name: str, r: _Reader, retry: RetryPolicy | None) -> Notifier:
    url = r.url()
    headers, secret_headers = r.headers()
    alertname = r.text("alertname", DEFAULT_ALERTNAME) or DEFAULT_ALERTNAME
    return AlertmanagerNotifier(
        name, url or "", alertname, r.text("generator_url"), headers, secret_headers, retry
    )


def _email(name: str, r: _Reader, retry: RetryPolicy | None) -> Notifier:
    host = r.text("host")
    if host is None and "host" not in r.config:
        r.error("host", "host (the SMTP server) is required")
    security = r.config.get("security", "starttls")
    if security not in SECURITY_MODES:
        r.error("security", f"security must be one of {', '.join(SECURITY_MODES)}, got {security!r}")
        security = "starttls"
    port = r.config.get("port", 465 if security == "ssl" else 587)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        r.error("port", f"port must be a number from 1 to 65535, got {port!r}")
        port = 587
    sender = r.text("from")
    if sender is None and "from" not in r.config:
        r.error("from", "from (the sender address) is required")
    raw_to = r.config.get("to")
    recipients: tuple[str, ...] = ()
    if isinstance(raw_to, str) and raw_to.strip():
        recipients = (raw_to.strip(),)
    elif isinstance(raw_to, list) and raw_to and all(isinstance(x, str) and x.strip() for x in raw_to):
        recipients = tuple(x.strip() for x in raw_to)
    else:
        r.error("to", "to must be an address or a non-empty list of addresses")
    if "username" in r.config and "username_env" in r.config:
        r.error("username", "give username or username_env, not both")
    username = r.text("username") if "username" in r.config else r.secret("username_env", required=False)
    password = r.secret("password_env", required=username is not None)
    return EmailNotifier(
        name,
        host or "",
        sender or "",
        recipients,
        port,
        cast(Security, security),
        username,
        password,
        r.text("ca_file"),
        r.text("subject_prefix", "[slokit]") or "[slokit]",
        retry,
    )


_BUILDERS = {
    "webhook": _webhook,
    "slack": _slack,
    "pagerduty": _pagerduty,
    "alertmanager": _alertmanager,
    "email": _email,
}

__all__ = [
    "KINDS",
    "NotificationSettings",
    "SpecError",
    "build_notifiers",
    "load_settings",
    "parse_settings",
]
