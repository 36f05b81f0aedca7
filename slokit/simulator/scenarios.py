"""The two seed platforms: MToGo (food delivery) and CNC Quote (B2B quoting for CNC parts).

Every number here is a stated behaviour tests check the generated data against: rates at the
busiest minute of the week, the chance that an event is bad, latency medians and p95s. Baseline
error rates sit at a fifth to two fifths of what each SLO allows, and latency distributions put
0.1-3 % of events over each threshold where 5 % is allowed, so the SLOs hold between incidents,
as they would for a healthy platform (two exceptions by design: CNC's improvement targets, which
the platform does not meet yet). Streams, fields and SLO names are those of ``examples/mtogo``
and ``examples/cnc-quote``; a test keeps them in step with the specs.
"""

from __future__ import annotations

import pyarrow as pa

from slokit.simulator.incidents import DailyWindow, Effect, IncidentTemplate
from slokit.simulator.model import (
    Choice,
    Column,
    Const,
    Flag,
    Gateway,
    Http,
    Id,
    Lognormal,
    Measure,
    Outcome,
    Periodic,
    Poisson,
    Route,
    Scenario,
    Source,
)
from slokit.simulator.traffic import FLAT, Bump, Profile

MIN = 60
HOUR = 3600
DAY = 86400

STR, INT, FLOAT, BOOL = pa.string(), pa.int64(), pa.float64(), pa.bool_()

#: Food delivery: a lunch peak, a larger dinner peak, quiet nights, busy Friday and Saturday.
FOOD = Profile(
    "food-delivery",
    floor=0.04,
    bumps=(Bump(11.9, 1.1, 0.5), Bump(18.3, 1.4, 1.0), Bump(21.5, 1.0, 0.2)),
    weekdays=(0.85, 0.88, 0.9, 0.95, 1.12, 1.2, 1.05),
    utc_offset_hours=1.0,
)
#: B2B quoting: office hours on weekdays, little at night and at weekends.
BUSINESS = Profile(
    "business-hours",
    floor=0.05,
    bumps=(Bump(10.0, 1.8, 0.9), Bump(14.5, 2.0, 1.0)),
    weekdays=(1.0, 1.02, 1.0, 0.97, 0.85, 0.25, 0.2),
    utc_offset_hours=1.0,
)

LOCATIONS = ("eu-north-1", "eu-west-1")
#: MToGo's nightly load test of the order service: start (local minute of day), minutes, rate.
LOAD_TEST_MINUTE = 3 * 60
LOAD_TEST_MINUTES = 15
LOAD_TEST_RATE = 1500
PROBE_LATENCY = Lognormal(35, 90)


def probe(service: str, check: str, slos: tuple[str, ...], field_service: str | None = None) -> Source:
    """A synthetic probe every 15 s from each of two locations (staggered by 7.5 s)."""
    return Source(
        name=f"{service}-probe",
        stream="probes",
        kind="events",
        arrival=Periodic(15, 0.0, ("location", LOCATIONS), stagger_s=7.5),
        error_rate=0.0005,
        bad_where="ok = false",
        latency=PROBE_LATENCY,
        latency_field="latency_ms",
        fields=(
            Const("service", field_service or service),
            Const("check", check),
            Flag("ok", bad_value=False),
            Measure("latency_ms"),
        ),
        error_slos=slos,
    )


def _columns(*pairs: Column) -> tuple[Column, ...]:
    return (("ts", INT), *pairs)


# ----------------------------------------------------------------------------- MToGo

_MTOGO_STREAMS: dict[str, tuple[Column, ...]] = {
    "probes": _columns(
        ("service", STR), ("check", STR), ("location", STR), ("ok", BOOL), ("latency_ms", FLOAT)
    ),
    "http_requests": _columns(
        ("service", STR),
        ("route", STR),
        ("method", STR),
        ("status", INT),
        ("latency_ms", FLOAT),
        ("upstream_status", INT),
        ("upstream_latency_ms", FLOAT),
        ("gateway_overhead_ms", FLOAT),
    ),
    "orders": _columns(("order_id", INT), ("outcome", STR), ("payment_to_event_ms", FLOAT)),
    "load_minutes": _columns(
        ("service", STR), ("source", STR), ("requests", INT), ("p95_ms", FLOAT), ("error_ratio", FLOAT)
    ),
    "kafka_publish": _columns(("service", STR), ("topic", STR), ("ok", BOOL)),
    "kafka_consume": _columns(("consumer_group", STR), ("topic", STR), ("partition", INT), ("lag_ms", FLOAT)),
    "websocket_messages": _columns(
        ("service", STR), ("message_type", STR), ("delivered", BOOL), ("latency_ms", FLOAT)
    ),
    "notifications": _columns(("service", STR), ("channel", STR), ("delivered", BOOL), ("latency_ms", FLOAT)),
}


def _kafka_producer(service: str, topic: str, peak: float, slos: tuple[str, ...]) -> Source:
    return Source(
        name=f"{service}-kafka-producer",
        stream="kafka_publish",
        kind="events",
        arrival=Poisson(peak, FOOD),
        error_rate=0.0001,
        bad_where="ok = false",
        fields=(Const("service", service), Const("topic", topic), Flag("ok", bad_value=False)),
        error_slos=slos,
    )


def _ws(service: str, peak: float, types: tuple[tuple[str, float], ...], latency_slo: str) -> Source:
    return Source(
        name=f"{service}-messages",
        stream="websocket_messages",
        kind="events",
        arrival=Poisson(peak, FOOD),
        error_rate=0.004,
        bad_where="delivered = false",
        latency=Lognormal(260, 900),
        latency_field="latency_ms",
        fields=(
            Const("service", service),
            Choice("message_type", tuple(t for t, _ in types), tuple(w for _, w in types)),
            Flag("delivered", bad_value=False),
            Measure("latency_ms"),
        ),
        error_slos=(f"{service}-message-delivery",),
        latency_slos=(latency_slo,),
    )


_MTOGO_SOURCES: tuple[Source, ...] = (
    Source(
        name="orders",
        stream="orders",
        kind="orders",
        arrival=Poisson(300, FOOD),
        # a tenth of the 99.8 % budget: the load test's 1500 orders a minute then rarely show
        # 4 failures (error ratio > 0.2 %) by chance
        error_rate=0.0002,
        bad_where="outcome = 'failed'",
        latency=Lognormal(140, 290),
        latency_field="payment_to_event_ms",
        fields=(
            Id("order_id"),
            Outcome("outcome", ("created", "rejected"), (0.985, 0.015), bad="failed"),
            Measure("payment_to_event_ms"),
        ),
        error_slos=("order-creation-success", "order-creation-success-summary"),
        latency_slos=("order-creation-latency",),
        # the capacity objective reads the nightly load test's rollups (see generate.py)
        daily_slos=(DailyWindow("order-service-request-capacity", LOAD_TEST_MINUTE, LOAD_TEST_MINUTES),),
    ),
    Source(
        name="gateway-http",
        stream="http_requests",
        kind="http",
        arrival=Poisson(350, FOOD),
        error_rate=0.0001,
        bad_where="status >= 500 AND upstream_status IS NULL",
        latency=Lognormal(7, 19),
        latency_field="gateway_overhead_ms",
        http=Http(
            service="gateway",
            routes=(
                Route("/api/restaurants", "GET", 0.30),
                Route("/api/restaurants/{restaurantId}/menu", "GET", 0.25),
                Route("/api/orders", "POST", 0.08, 2.0),
                Route("/api/orders/{orderId}", "GET", 0.22),
                Route("/api/payments", "POST", 0.07, 3.0),
                Route("/api/auth/token", "POST", 0.05),
                Route("/health", "GET", 0.03, 0.1),
            ),
            client_error_rate=0.025,
            gateway=Gateway(upstream=Lognormal(55, 260), upstream_error_rate=0.0008, local_reply_rate=0.003),
        ),
        error_slos=("gateway-success",),
        latency_slos=("gateway-routing-overhead",),
    ),
    Source(
        name="partner-service-http",
        stream="http_requests",
        kind="http",
        arrival=Poisson(80, FOOD),
        error_rate=0.001,
        bad_where="status >= 500",
        latency=Lognormal(110, 380),
        latency_field="latency_ms",
        http=Http(
            service="partner-service",
            routes=(
                Route("/orders/{orderId}/accept", "POST", 0.35),
                Route("/orders/{orderId}/reject", "POST", 0.04),
                Route("/orders", "GET", 0.30),
                Route("/orders/{orderId}", "GET", 0.15),
                Route("/menu/items/{itemId}", "PUT", 0.06),
                Route("/health", "GET", 0.10, 0.1),
            ),
            client_error_rate=0.015,
        ),
        error_slos=("partner-service-api-success",),
        latency_slos=("partner-order-decision-latency",),
    ),
    Source(
        name="agent-service-http",
        stream="http_requests",
        kind="http",
        arrival=Poisson(100, FOOD),
        error_rate=0.001,
        bad_where="status >= 500",
        latency=Lognormal(150, 450),
        latency_field="latency_ms",
        http=Http(
            service="agent-service",
            routes=(
                Route("/deliveries/{deliveryId}/assignment", "POST", 0.22, 1.3),
                Route("/deliveries/{deliveryId}/status", "PUT", 0.35),
                Route("/deliveries", "GET", 0.18),
                Route("/agents/{agentId}/location", "POST", 0.15, 0.5),
                Route("/health", "GET", 0.10, 0.1),
            ),
            client_error_rate=0.015,
        ),
        error_slos=("agent-service-api-success",),
        latency_slos=("delivery-assignment-latency",),
    ),
    _kafka_producer("order-service", "orders", 290, ("order-service-kafka-publish", "kafka-publish-success")),
    _kafka_producer("partner-service", "order-decisions", 80, ("kafka-publish-success",)),
    _kafka_producer("agent-service", "delivery-status", 100, ("kafka-publish-success",)),
    Source(
        name="kafka-consumers",
        stream="kafka_consume",
        kind="events",
        arrival=Poisson(250, FOOD),
        error_rate=0.0,
        bad_where="",
        latency=Lognormal(45, 160),
        latency_field="lag_ms",
        fields=(
            Choice(
                "consumer_group",
                ("notification-service", "websocket-partner-service", "websocket-agent-service", "analytics"),
                (0.3, 0.25, 0.25, 0.2),
            ),
            Choice("topic", ("orders", "order-decisions", "delivery-status"), (0.5, 0.2, 0.3)),
            Choice("partition", tuple(range(12)), (1 / 12,) * 12),
            Measure("lag_ms", only_good=False),
        ),
        latency_slos=("kafka-consumer-lag",),
    ),
    _ws(
        "websocket-partner-service",
        120,
        (("order.created", 0.55), ("order.updated", 0.35), ("order.cancelled", 0.10)),
        "partner-order-notification-latency",
    ),
    _ws(
        "websocket-agent-service",
        150,
        (("delivery.updated", 0.7), ("delivery.assigned", 0.2), ("agent.location", 0.1)),
        "agent-delivery-update-latency",
    ),
    Source(
        name="notification-service-notifications",
        stream="notifications",
        kind="events",
        arrival=Poisson(120, FOOD),
        error_rate=0.006,
        bad_where="delivered = false",
        latency=Lognormal(800, 2600),
        latency_field="latency_ms",
        fields=(
            Const("service", "notification-service"),
            Choice("channel", ("push", "sms", "email"), (0.6, 0.15, 0.25)),
            Flag("delivered", bad_value=False),
            Measure("latency_ms"),
        ),
        error_slos=("notification-delivery",),
        latency_slos=("notification-latency",),
    ),
    probe("order-service", "http", ("order-service-uptime", "order-service-uptime-summary")),
    probe("partner-service", "http", ("partner-service-uptime",)),
    probe("agent-service", "http", ("agent-service-uptime",)),
    probe("websocket-partner-service", "websocket", ("websocket-partner-service-uptime",)),
    probe("websocket-agent-service", "websocket", ("websocket-agent-service-uptime",)),
    probe("gateway", "http", ("gateway-uptime",)),
    probe("notification-service", "http", ("notification-service-uptime",)),
    probe("kafka-infrastructure", "kafka-canary", ("kafka-broker-uptime",)),
)


def _outage(service: str, what: str, sources: tuple[str, ...], longest_min: int = 30) -> IncidentTemplate:
    return IncidentTemplate(
        "hard_outage",
        service,
        what,
        tuple(Effect(s, error_rate=1.0) for s in sources),
        (5 * MIN, longest_min * MIN),
    )


def _slower(service: str, what: str, source: str, factor: float, span: tuple[int, int]) -> IncidentTemplate:
    return IncidentTemplate(
        "latency_regression", service, what, (Effect(source, latency_factor=factor),), span
    )


_KAFKA_PRODUCERS = (
    "order-service-kafka-producer",
    "partner-service-kafka-producer",
    "agent-service-kafka-producer",
)

_MTOGO_TEMPLATES: tuple[IncidentTemplate, ...] = (
    _outage(
        "order-service",
        "order database failover: every order attempt fails",
        ("orders", "order-service-probe"),
    ),
    _outage(
        "gateway", "bad route configuration pushed to the gateway", ("gateway-http", "gateway-probe"), 20
    ),
    _outage(
        "partner-service", "partner-service crash loop", ("partner-service-http", "partner-service-probe")
    ),
    _outage("agent-service", "agent-service crash loop", ("agent-service-http", "agent-service-probe")),
    _outage(
        "websocket-partner-service",
        "WebSocket partner service loses its session store",
        ("websocket-partner-service-messages", "websocket-partner-service-probe"),
    ),
    _outage(
        "websocket-agent-service",
        "WebSocket agent service loses its session store",
        ("websocket-agent-service-messages", "websocket-agent-service-probe"),
    ),
    _outage(
        "notification-service",
        "notification-service cannot reach its queue",
        ("notification-service-notifications", "notification-service-probe"),
    ),
    _outage(
        "kafka-infrastructure",
        "Kafka controller quorum lost",
        (*_KAFKA_PRODUCERS, "kafka-infrastructure-probe"),
        15,
    ),
    _slower(
        "order-service", "slow payment-confirmation query after a deploy", "orders", 3.0, (1 * HOUR, 3 * HOUR)
    ),
    _slower("agent-service", "assignment solver regression", "agent-service-http", 4.0, (30 * MIN, 2 * HOUR)),
    _slower(
        "kafka-infrastructure",
        "consumer group rebalancing storm",
        "kafka-consumers",
        8.0,
        (30 * MIN, 90 * MIN),
    ),
    _slower(
        "gateway", "TLS session cache disabled on the gateway", "gateway-http", 4.0, (30 * MIN, 2 * HOUR)
    ),
    _slower(
        "websocket-partner-service",
        "fan-out worker pool too small",
        "websocket-partner-service-messages",
        4.0,
        (1 * HOUR, 3 * HOUR),
    ),
    # slow burns: twice the error rate the SLO allows (burn rate 2)
    IncidentTemplate(
        "slow_burn",
        "partner-service",
        "one bad replica answers 503 (2x the 99.5 % budget)",
        (Effect("partner-service-http", error_rate=2 * (1 - 0.995)),),
        (2 * DAY, 4 * DAY),
    ),
    IncidentTemplate(
        "slow_burn",
        "notification-service",
        "SMS provider rejects a share of messages (2x the 97 % budget)",
        (Effect("notification-service-notifications", error_rate=2 * (1 - 0.97)),),
        (2 * DAY, 4 * DAY),
    ),
    IncidentTemplate(
        "slow_burn",
        "order-service",
        "race in order creation fails some orders (2x the 99.8 % budget)",
        (Effect("orders", error_rate=2 * (1 - 0.998)),),
        (2 * DAY, 4 * DAY),
    ),
    IncidentTemplate(
        "flapping",
        "kafka-infrastructure",
        "a broker flaps in and out of the cluster",
        tuple(Effect(s, error_rate=0.4) for s in _KAFKA_PRODUCERS),
        (1 * HOUR, 3 * HOUR),
    ),
    IncidentTemplate(
        "flapping",
        "notification-service",
        "push provider flapping",
        (Effect("notification-service-notifications", error_rate=0.5),),
        (1 * HOUR, 3 * HOUR),
    ),
    IncidentTemplate(
        "flapping",
        "websocket-agent-service",
        "load balancer health checks flap the agent WebSocket backends",
        (
            Effect("websocket-agent-service-messages", error_rate=0.5),
            Effect("websocket-agent-service-probe", 1.0),
        ),
        (1 * HOUR, 3 * HOUR),
    ),
)

MTOGO = Scenario(
    name="mtogo",
    description="MToGo food delivery: gateway, order, partner, agent, WebSocket and notification services",
    utc_offset_hours=1.0,
    streams=_MTOGO_STREAMS,
    sources=_MTOGO_SOURCES,
    templates=_MTOGO_TEMPLATES,
)

# ----------------------------------------------------------------------------- CNC Quote

_CNC_STREAMS: dict[str, tuple[Column, ...]] = {
    "probes": _columns(
        ("service", STR),
        ("check", STR),
        ("location", STR),
        ("ok", BOOL),
        ("latency_ms", FLOAT),
        ("last_good_backup_age_hours", FLOAT),
        ("retained_daily_backups", INT),
        ("newest_event_age_s", FLOAT),
    ),
    "http_requests": _columns(
        ("service", STR), ("route", STR), ("method", STR), ("status", INT), ("latency_ms", FLOAT)
    ),
    "widget_loads": _columns(("load_type", STR), ("ok", BOOL), ("load_ms", FLOAT)),
    "widget_sessions": _columns(("session_id", INT), ("error", BOOL)),
    "cad_jobs": _columns(
        ("job_id", INT),
        ("file_mb", FLOAT),
        ("valid", BOOL),
        ("ok", BOOL),
        ("dfm_ok", BOOL),
        ("duration_s", FLOAT),
    ),
    "quotes": _columns(("quote_id", INT), ("ok", BOOL), ("after_cad_s", FLOAT), ("review_verdict", STR)),
    "payments": _columns(("payment_id", INT), ("outcome", STR), ("provider", STR)),
    "backups": _columns(("schedule", STR), ("ok", BOOL), ("size_gb", FLOAT), ("duration_minutes", FLOAT)),
    "restore_drills": _columns(("ok", BOOL), ("recovery_minutes", FLOAT)),
    "alert_acks": _columns(("priority", STR), ("ack_minutes", FLOAT)),
}


def _acks(priority: str, per_day: float, latency: Lognormal) -> Source:
    return Source(
        name=f"alert-acks-{priority}",
        stream="alert_acks",
        kind="events",
        arrival=Poisson(per_day / 1440, FLAT),
        error_rate=0.0,
        bad_where="",
        latency=latency,
        latency_field="ack_minutes",
        fields=(Const("priority", priority), Measure("ack_minutes", only_good=False)),
        latency_slos=(f"cnc-alert-response-{priority}",),
    )


_CNC_SOURCES: tuple[Source, ...] = (
    Source(
        name="cnc-api-http",
        stream="http_requests",
        kind="http",
        arrival=Poisson(200, BUSINESS),
        error_rate=0.0002,
        bad_where="status >= 500",
        latency=Lognormal(90, 320),
        latency_field="latency_ms",
        http=Http(
            service="cnc-api",
            routes=(
                Route("/quotes/{quoteId}", "GET", 0.22),
                Route("/quotes", "POST", 0.10, 1.5),
                Route("/parts", "GET", 0.15),
                Route("/materials", "GET", 0.15),
                Route("/orders", "POST", 0.03, 1.5),
                Route("/cad/upload", "POST", 0.05, 6.0),
                Route("/cad/{jobId}/status", "GET", 0.15, 0.5),
                Route("/health", "GET", 0.15, 0.1),
            ),
            client_error_rate=0.02,
        ),
        error_slos=("cnc-api-error-rate",),
        latency_slos=("cnc-api-latency-p95", "cnc-api-latency-p99", "cnc-api-latency-p95-target"),
    ),
    probe("cnc-api", "http", ("cnc-api-uptime", "cnc-api-uptime-target")),
    Source(
        name="widget-loads",
        stream="widget_loads",
        kind="events",
        arrival=Poisson(60, BUSINESS),
        # a tenth of the 99.95 % budget: at night and at weekends a few hundred loads an hour
        # make a larger baseline look like a burn by chance
        error_rate=0.00005,
        bad_where="ok = false",
        latency=Lognormal(900, 1700),
        latency_field="load_ms",
        fields=(
            Choice("load_type", ("initial", "reload"), (0.7, 0.3)),
            Flag("ok", bad_value=False),
            Measure("load_ms", decimals=0),
        ),
        error_slos=("cnc-widget-availability",),
        latency_slos=("cnc-widget-load-p90", "cnc-widget-load-p95", "cnc-widget-load-p90-target"),
    ),
    Source(
        name="widget-sessions",
        stream="widget_sessions",
        kind="events",
        arrival=Poisson(25, BUSINESS),
        error_rate=0.001,
        bad_where="error = true",
        fields=(Id("session_id"), Flag("error", bad_value=True)),
        error_slos=("cnc-widget-error-rate",),
    ),
    Source(
        name="cad-jobs",
        stream="cad_jobs",
        kind="cad",
        arrival=Poisson(6, BUSINESS),
        error_rate=0.01,
        bad_where="valid = true AND ok = false",
        # duration of a job on an 8 MB file; larger files take longer (size^0.35)
        latency=Lognormal(8, 20),
        latency_field="duration_s",
        error_slos=("cnc-cad-processing-success",),
        latency_slos=("cnc-cad-analysis-p90", "cnc-cad-analysis-p95"),
    ),
    Source(
        name="quotes",
        stream="quotes",
        kind="events",
        arrival=Poisson(5, BUSINESS),
        error_rate=0.001,
        bad_where="ok = false",
        latency=Lognormal(1.8, 4.5),
        latency_field="after_cad_s",
        fields=(
            Id("quote_id"),
            Flag("ok", bad_value=False),
            Measure("after_cad_s", decimals=3),
            Choice("review_verdict", (None, "correct", "incorrect"), (0.9, 0.099, 0.001)),
        ),
        error_slos=("cnc-quote-accuracy",),
        latency_slos=("cnc-quote-creation-p90", "cnc-quote-creation-p95"),
    ),
    Source(
        name="payments",
        stream="payments",
        kind="events",
        arrival=Poisson(1.5, BUSINESS),
        # a twentieth of the budget: at 1.5 payments a minute one error is a burn rate of 17
        # over an hour, so a larger baseline would page on single errors every week
        error_rate=0.00005,
        bad_where="outcome = 'error'",
        fields=(
            Id("payment_id"),
            Outcome("outcome", ("succeeded", "declined"), (0.96, 0.04), bad="error"),
            Choice("provider", ("stripe", "adyen"), (0.85, 0.15)),
        ),
        error_slos=("cnc-payment-errors",),
    ),
    Source(
        name="backups",
        stream="backups",
        kind="backups",
        arrival=Periodic(DAY, 2 * HOUR),
        error_rate=0.0,
        bad_where="ok = false",
        # nearly constant duration: the RPO age (from completion) then exceeds 24 h only by the
        # seconds one night's backup takes longer than the last
        latency=Lognormal(18, 18.15),
        latency_field="duration_minutes",
        error_slos=("cnc-backup-success", "cnc-backup-rpo"),
    ),
    Source(
        name="backup-audit",
        stream="probes",
        kind="backup_audit",
        arrival=Periodic(5 * MIN, 150),
        error_rate=0.0,
        bad_where="last_good_backup_age_hours >= 24 OR retained_daily_backups < 30",
    ),
    Source(
        name="restore-drills",
        stream="restore_drills",
        kind="events",
        arrival=Periodic(DAY, 5 * HOUR),
        error_rate=0.0,
        bad_where="ok = false",
        latency=Lognormal(50, 95),
        latency_field="recovery_minutes",
        fields=(Flag("ok", bad_value=False), Measure("recovery_minutes")),
        error_slos=("cnc-backup-rto",),
    ),
    Source(
        name="metrics-freshness",
        stream="probes",
        kind="freshness",
        arrival=Periodic(MIN, 30),
        error_rate=0.0,
        bad_where="newest_event_age_s >= 120",
        latency=Lognormal(15, 32),
        latency_field="newest_event_age_s",
        error_slos=("cnc-api-metrics-freshness",),
    ),
    # on-call answers in time: about one late acknowledgement in two months outside incidents
    _acks("critical", 4, Lognormal(3, 7)),
    _acks("high", 10, Lognormal(12, 28)),
    _acks("medium", 16, Lognormal(40, 95)),
)

_CNC_TEMPLATES: tuple[IncidentTemplate, ...] = (
    _outage("cnc-api", "API pods OOM-killed in a loop", ("cnc-api-http", "cnc-api-probe")),
    _outage("cnc-widget", "CDN serves a broken widget bundle", ("widget-loads", "widget-sessions"), 20),
    _outage("cnc-payments", "payment provider outage", ("payments",)),
    _outage("cnc-cad-processing", "CAD workers crash on start", ("cad-jobs",)),
    _outage("cnc-operations", "metrics pipeline stalled", ("metrics-freshness",), 40),
    IncidentTemplate(
        "hard_outage",
        "cnc-data-persistence",
        "backup storage unreachable: the nightly backup fails and is re-run by hand",
        (Effect("backups", error_rate=1.0), Effect("restore-drills", error_rate=1.0)),
        (2 * HOUR, 6 * HOUR),
        anchor_minute=2 * 60,
    ),
    _slower("cnc-api", "N+1 query in the quotes endpoint", "cnc-api-http", 3.0, (1 * HOUR, 4 * HOUR)),
    _slower("cnc-cad-processing", "CAD worker pool halved", "cad-jobs", 3.0, (2 * HOUR, 6 * HOUR)),
    _slower("cnc-widget", "unminified widget bundle shipped", "widget-loads", 2.5, (1 * HOUR, 3 * HOUR)),
    _slower("cnc-quote-generation", "pricing service cold cache", "quotes", 4.0, (1 * HOUR, 3 * HOUR)),
    IncidentTemplate(
        "slow_burn",
        "cnc-api",
        "connection pool exhaustion under load (2x the 99.9 % budget)",
        (Effect("cnc-api-http", error_rate=2 * (1 - 0.999)),),
        (2 * DAY, 4 * DAY),
    ),
    IncidentTemplate(
        "slow_burn",
        "cnc-widget",
        "widget script error in one browser (2x the 99.5 % budget)",
        (Effect("widget-sessions", error_rate=2 * (1 - 0.995)),),
        (2 * DAY, 4 * DAY),
    ),
    IncidentTemplate(
        "flapping",
        "cnc-payments",
        "card processor connection flapping",
        (Effect("payments", error_rate=0.5),),
        (1 * HOUR, 3 * HOUR),
    ),
    IncidentTemplate(
        "flapping",
        "cnc-api",
        "database failover loop",
        (Effect("cnc-api-http", error_rate=0.3), Effect("cnc-api-probe", error_rate=1.0)),
        (1 * HOUR, 2 * HOUR),
    ),
)

CNC_QUOTE = Scenario(
    name="cnc-quote",
    description="CNC Quote: API, widget, CAD processing, quotes, payments, backups, operations",
    utc_offset_hours=1.0,
    streams=_CNC_STREAMS,
    sources=_CNC_SOURCES,
    templates=_CNC_TEMPLATES,
)

SCENARIOS: dict[str, Scenario] = {s.name: s for s in (MTOGO, CNC_QUOTE)}


def scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise KeyError(f"no scenario {name!r}; known: {', '.join(SCENARIOS)}") from None
