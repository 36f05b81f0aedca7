"""Bearer-token checks, in constant time (``hmac.compare_digest``) so timing reveals nothing."""

from __future__ import annotations

import hmac

from starlette.requests import Request

from slokit.server.errors import ApiError


def check_bearer(request: Request, token: str) -> None:
    """Raise a 401 unless the request carries ``Authorization: Bearer <token>``."""
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    ok = scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
    if not ok:
        raise ApiError(
            401,
            "missing or wrong bearer token: send 'Authorization: Bearer <token>' "
            "(the token slokit serve was started with, SLOKIT_API_TOKEN)",
            headers={"WWW-Authenticate": 'Bearer realm="slokit"'},
        )
