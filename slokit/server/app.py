"""The ASGI app: ingest, read and admin API, /metrics, health, and the dashboard's static files.

Why Starlette and not FastAPI: the hot path (ingest) reads the raw body and decodes it with
msgspec, which on this project's machine decodes 1,000-event batches at about 4 M events/s;
FastAPI's value is declaring bodies as pydantic models, whose parsing measured 0.38 M events/s
over HTTP (DESIGN.md). With raw bodies everywhere, FastAPI would add a dependency and a layer
of per-request machinery while its model validation went unused. Starlette is the routing and
request/response layer FastAPI itself is built on; the OpenAPI document is written by hand
(:mod:`slokit.server.openapi`) and tested against real responses.

No CORS headers are sent unless origins are configured: the dashboard is served by the same
origin. Every page gets a Content-Security-Policy that allows only this origin's scripts and
styles, so an injected ``<script>`` could not run even if it reached the page as markup.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from slokit.server import api, ingest, metrics
from slokit.server.errors import ApiError, error_body, handle_api_error
from slokit.server.evaluator_task import EvaluatorTask
from slokit.server.openapi import document
from slokit.server.pipeline import IngestPipeline, wal_directory
from slokit.server.state import ServerConfig, ServerState

log = logging.getLogger("slokit.server")

STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


class SecurityHeaders:
    """Adds nosniff, CSP and no-referrer headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                headers.append((b"content-security-policy", CSP.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, wrapped)


class IngestShortcut:
    """``POST /api/v1/streams/{stream}/events`` straight to its handler, past the router and
    Starlette's per-route exception wrapping (about 0.03 ms of a request's 1-2 ms of CPU, on
    the path that takes every event); its errors are answered as the route's would be. The
    outer middlewares (500s, security headers, CORS) still apply."""

    PREFIX = "/api/v1/streams/"
    SUFFIX = "/events"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or not path.startswith(self.PREFIX)
            or not path.endswith(self.SUFFIX)
        ):
            await self.app(scope, receive, send)
            return
        stream = path[len(self.PREFIX) : -len(self.SUFFIX)]
        if not stream or "/" in stream:
            await self.app(scope, receive, send)
            return
        scope["path_params"] = {"stream": stream}
        request = Request(scope, receive)
        try:
            response = await ingest.ingest_events(request)
        except ApiError as exc:
            response = await handle_api_error(request, exc)
        await response(scope, receive, send)


def _asset(name: str) -> bytes | None:
    try:
        return resources.files("slokit.server").joinpath("web", name).read_bytes()
    except (FileNotFoundError, IsADirectoryError, OSError):
        return None


async def static(request: Request) -> Response:
    name = request.path_params.get("file", "index.html")
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    if "/" in name or name.startswith(".") or suffix not in STATIC_TYPES:
        raise ApiError(404, "no such file")
    data = _asset(name)
    if data is None:
        raise ApiError(404, "no such file")
    return Response(data, media_type=STATIC_TYPES[suffix], headers={"cache-control": "no-cache"})


async def index(request: Request) -> Response:
    data = _asset("index.html") or b""
    return Response(data, media_type=STATIC_TYPES[".html"], headers={"cache-control": "no-cache"})


async def healthz(request: Request) -> Response:
    return api.json_response({"status": "ok"})


async def readyz(request: Request) -> Response:
    state: ServerState = request.app.state.slokit
    task: EvaluatorTask | None = request.app.state.evaluator
    pipeline: IngestPipeline = request.app.state.pipeline
    if not state.ready:
        return api.json_response(error_body(503, "not ready"), 503)
    return api.json_response(
        {
            "status": "ready",
            "slos": len(state.spec.slos),
            "evaluator_passes": 0 if task is None else task.passes,
            "evaluator_error": None if task is None else task.last_error,
            "reload_error": state.reload_failed,
            # Requests logged, and the log syncs that made them durable (group commit).
            "grouped_batches": pipeline.counters.batches,
            "group_commits": pipeline.counters.syncs,
            "folds": pipeline.counters.folds,
            "folded_events": pipeline.counters.folded_events,
            "fold_backlog_events": pipeline.backlog,
            "compactions": pipeline.counters.compactions,
            "ingest_error": pipeline.broken,
        }
    )


async def openapi(request: Request) -> Response:
    return api.json_response(document())


async def not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    detail = getattr(exc, "detail", "not found")
    return api.json_response(error_body(status, str(detail)), status)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("request %s %s failed", request.method, request.url.path, exc_info=exc)
    return api.json_response(error_body(500, "internal error; the server log has the details"), 500)


def routes() -> list[Route]:
    return [
        Route("/api/v1/streams/{stream}/events", ingest.ingest_events, methods=["POST"]),
        Route("/api/v1/streams", api.list_streams, methods=["GET"]),
        Route("/api/v1/slos", api.list_slos, methods=["GET"]),
        Route("/api/v1/slos/{name}", api.get_slo, methods=["GET"]),
        Route("/api/v1/slos/{name}/history", api.slo_history, methods=["GET"]),
        Route("/api/v1/alerts", api.list_alerts, methods=["GET"]),
        Route("/api/v1/alerts/{id}/ack", api.ack_alert, methods=["POST"]),
        Route("/api/v1/corrections", api.list_corrections, methods=["GET"]),
        Route("/api/v1/corrections", api.add_correction, methods=["POST"]),
        Route("/api/v1/corrections/{id}", api.remove_correction, methods=["DELETE"]),
        Route("/api/v1/reload", api.reload_spec, methods=["POST"]),
        Route("/api/v1/openapi.json", openapi, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics.metrics, methods=["GET"]),
        Route("/", index, methods=["GET"]),
        Route("/static/{file}", static, methods=["GET"]),
    ]


def create_app(config: ServerConfig, *, evaluate: bool = True) -> Starlette:
    """The app for ``config``; the store opens now (errors surface before serving), the evaluator
    thread starts with the app's lifespan and stops (and the store closes) when it ends."""
    state = ServerState(config)
    # The write-ahead log lives beside the store file; opening it replays what was not folded.
    pipeline = IngestPipeline(state, wal_directory(config.store_path))
    task = EvaluatorTask(state, config.eval_interval) if evaluate else None
    if task is not None and config.notify_settings:
        task.notifier_send()  # a bad settings file is a startup error, not a log line per pass

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pipeline.start()
        if task is not None:
            task.start()
        # What is loaded by now (modules, the spec, the store's caches) lives as long as the
        # server: frozen, the collector's full passes no longer walk it while requests wait.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()  # the store's objects below must be collectable when it closes
            if task is not None:
                task.stop()
            pipeline.stop()
            state.close()

    middleware = [Middleware(SecurityHeaders)]
    if config.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(config.cors_origins),
                allow_methods=["GET", "POST", "DELETE"],
                allow_headers=["authorization", "content-type", "idempotency-key", "content-encoding"],
            )
        )
    middleware.append(Middleware(IngestShortcut))  # innermost: the others apply to ingest too
    handlers: dict[Any, Any] = {ApiError: handle_api_error, 404: not_found, 405: not_found, 500: server_error}
    app = Starlette(routes=routes(), middleware=middleware, exception_handlers=handlers, lifespan=lifespan)
    app.state.slokit = state
    app.state.evaluator = task
    app.state.registry = metrics.registry_for(state)
    app.state.pipeline = pipeline
    app.state.event_types = ingest.EventTypes()
    return app
