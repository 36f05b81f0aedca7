"""API errors: one JSON shape, ``{"error": {"status", "message", ...details}}``, for every failure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class ApiError(Exception):
    """A client-facing failure with an HTTP status and a message saying what to do."""

    def __init__(
        self,
        status: int,
        message: str,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = dict(details or {})
        self.headers = dict(headers or {})


def error_body(status: int, message: str, **details: Any) -> dict[str, Any]:
    return {"error": {"status": status, "message": message, **details}}


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse(error_body(exc.status, exc.message, **exc.details), exc.status, headers=exc.headers)
