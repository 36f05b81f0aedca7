"""The OpenAPI 3.1 document of the API, written by hand (the tests validate real responses against it).

Hand-written because the handlers decode raw bodies and build plain dicts: there are no model
classes to generate it from, and a document kept next to a test that checks every endpoint's
answer against it is the one that stays true.
"""

from __future__ import annotations

from typing import Any

from slokit.exporters.report import SCHEMA

NUM = {"type": ["number", "null"]}
STR = {"type": "string"}
OSTR = {"type": ["string", "null"]}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
NUM_MAP = {"type": "object", "additionalProperties": NUM}


def _obj(props: dict[str, Any], extra: bool = False) -> dict[str, Any]:
    return {"type": "object", "required": list(props), "properties": props, "additionalProperties": extra}


OBJECTIVE = _obj(
    {
        "index": INT,
        "name": STR,
        "target": {"type": "number"},
        "op": OSTR,
        "value": NUM,
        "weight": {"type": "number"},
        "sli": NUM,
        "status": STR,
        "valid": {"type": ["integer", "null"]},
        "good": {"type": ["integer", "null"]},
        "bad": NUM,
        "slices": {"type": ["object", "null"]},
        "budget_consumed": NUM,
        "budget_remaining": NUM,
        "budget_allowed_events": NUM,
        "budget_remaining_events": NUM,
        "budget_allowed_seconds": NUM,
        "budget_remaining_seconds": NUM,
        "burn_rates": NUM_MAP,
        "percentiles": NUM_MAP,
        "coverage": OSTR,
        "note": OSTR,
    },
    extra=True,  # the report schema may add fields (docs/report.md)
)

SLO_STATE = _obj(
    {
        "schema": {"const": SCHEMA},
        "service": STR,
        "name": STR,
        "group": {"type": ["object", "null"], "additionalProperties": STR},
        "group_by": {"type": "array", "items": STR},
        "groups": {"type": ["integer", "null"]},
        "display_name": OSTR,
        "indicator": STR,
        "budgeting_method": {"enum": ["Occurrences", "Timeslices", "RatioTimeslices"]},
        "composite": BOOL,
        "window": STR,
        "rolling": BOOL,
        "at": STR,
        "window_start": STR,
        "window_end": STR,
        "elapsed_fraction": {"type": "number"},
        "budget_basis": STR,
        "target": NUM,
        "sli": NUM,
        "status": STR,
        "budget_consumed": NUM,
        "budget_remaining": NUM,
        "budget_allowed_seconds": NUM,
        "budget_remaining_seconds": NUM,
        "budget_remaining_events": NUM,
        "burn_rates": NUM_MAP,
        "percentiles": NUM_MAP,
        "forecast": OSTR,
        "coverage": STR,
        "notes": {"type": "array", "items": STR},
        "objectives": {"type": "array", "items": {"$ref": "#/components/schemas/Objective"}},
        # API-only additions (the report JSON has the fields above):
        "labels": {"type": "object", "additionalProperties": {"type": "array", "items": STR}},
        "firing_alerts": INT,
        "service_display_name": OSTR,
    },
    extra=True,  # the report schema may add fields (docs/report.md)
)

ALERT = _obj(
    {
        "id": STR,
        "slo": STR,
        "rule": STR,
        "group": STR,
        "severity": STR,
        "phase": {"enum": ["inactive", "pending", "firing", "resolved"]},
        "since": OSTR,
        "fired_at": OSTR,
        "resolved_at": OSTR,
        "peak_burn": NUM,
        "long_burn": NUM,
        "short_burn": NUM,
        "acknowledged_at": OSTR,
        "acknowledged_by": OSTR,
        "seconds_to_acknowledge": NUM,
    }
)

TRANSITION = _obj(
    {
        "id": STR,
        "slo": STR,
        "rule": STR,
        "group": STR,
        "from": STR,
        "to": STR,
        "at": STR,
        "severity": STR,
        "long_burn": NUM,
        "short_burn": NUM,
    }
)

CORRECTION = _obj(
    {
        "id": STR,
        "name": STR,
        "source": {"enum": ["spec", "api"]},
        "slos": {"type": "array", "items": STR},
        "start": OSTR,
        "duration_seconds": INT,
        "rrule": OSTR,
        "reason": STR,
    }
)

NUM_LIST = {"type": "array", "items": NUM}

SCHEMAS: dict[str, Any] = {
    "Error": _obj(
        {
            "error": _obj(
                {"status": INT, "message": STR},
                extra=True,
            )
        }
    ),
    "IngestResult": _obj(
        {
            "stream": STR,
            "batch_id": OSTR,
            "received": INT,
            "accepted": INT,
            "duplicate": BOOL,
            "unknown_stream": BOOL,
            "rejected_counts": {"type": "object", "additionalProperties": INT},
            "rejected": {"type": "array", "items": _obj({"index": INT, "reason": STR})},
        }
    ),
    "Objective": OBJECTIVE,
    "SloState": SLO_STATE,
    "SloList": _obj(
        {
            "at": STR,
            "count": INT,
            "slos": {"type": "array", "items": {"$ref": "#/components/schemas/SloState"}},
        }
    ),
    "SloDetail": _obj(
        {
            "slo": {"$ref": "#/components/schemas/SloState"},
            # A grouped SLO's groups (report objects with "group" set); empty otherwise.
            "groups": {"type": "array", "items": {"$ref": "#/components/schemas/SloState"}},
            "alert_rules": {
                "type": "array",
                "items": _obj(
                    {
                        "name": STR,
                        "severity": STR,
                        "long_window_seconds": INT,
                        "short_window_seconds": INT,
                        "factor": {"type": "number"},
                        "budget_share": {"type": "number"},
                    }
                ),
            },
            "alerts": {"type": "array", "items": {"$ref": "#/components/schemas/Alert"}},
            "alert_history": {"type": "array", "items": {"$ref": "#/components/schemas/Transition"}},
            "corrections": {"type": "array", "items": {"$ref": "#/components/schemas/Correction"}},
            "spec_yaml": OSTR,
        }
    ),
    "History": _obj(
        {
            "slo": STR,
            "group": {"type": ["object", "null"], "additionalProperties": STR},
            "from": OSTR,
            "to": OSTR,
            "step_seconds": INT,
            "target": NUM,
            "at": {"type": "array", "items": INT},
            "sli": NUM_LIST,
            "budget_remaining": NUM_LIST,
            "burn_rates": {"type": "object", "additionalProperties": NUM_LIST},
            "status": {"type": "array", "items": STR},
            "corrections": {"type": "array", "items": {"type": "array", "items": OSTR}},
        }
    ),
    "Alert": ALERT,
    "Transition": TRANSITION,
    "Alerts": _obj(
        {
            "firing": {"type": "array", "items": {"$ref": "#/components/schemas/Alert"}},
            "recent": {"type": "array", "items": {"$ref": "#/components/schemas/Alert"}},
            "history": {"type": "array", "items": {"$ref": "#/components/schemas/Transition"}},
        }
    ),
    "Correction": CORRECTION,
    "Corrections": _obj(
        {"corrections": {"type": "array", "items": {"$ref": "#/components/schemas/Correction"}}}
    ),
    "Streams": _obj({"streams": {"type": "object", "additionalProperties": _obj({"accepted": INT})}}),
    "Reloaded": _obj({"reloaded": BOOL, "slos": INT, "generation": INT}),
    "Removed": _obj({"removed": STR}),
    "Health": _obj({"status": STR}, extra=True),
}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


ERR = _json("Error", "error")
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
TIME_PARAM = {"in": "query", "schema": STR, "description": "RFC 3339, epoch seconds, or now-6h"}


def _params(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, **TIME_PARAM} for n in names]


def document() -> dict[str, Any]:
    """The OpenAPI document served at ``/api/v1/openapi.json``."""
    name_param = {"name": "name", "in": "path", "required": True, "schema": STR}
    id_param = {"name": "id", "in": "path", "required": True, "schema": STR}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "slokit",
            "version": "1",
            "description": "Events in; SLO state, history and alerts out.",
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": {
            "/api/v1/streams/{stream}/events": {
                "post": {
                    "summary": "Ingest a batch of events (JSON array or NDJSON, optionally gzip).",
                    "security": BEARER,
                    "parameters": [
                        {"name": "stream", "in": "path", "required": True, "schema": STR},
                        {"name": "Idempotency-Key", "in": "header", "schema": STR},
                    ],
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                            "application/x-ndjson": {"schema": STR},
                        }
                    },
                    "responses": {
                        "200": _json("IngestResult", "committed (or a duplicate of a committed batch)"),
                        "400": ERR,
                        "401": ERR,
                        "413": ERR,
                    },
                }
            },
            "/api/v1/streams": {
                "get": {"summary": "Accepted events per stream.", "responses": {"200": _json("Streams")}}
            },
            "/api/v1/slos": {
                "get": {
                    "summary": "Every SLO's state.",
                    "parameters": _params("at"),
                    "responses": {"200": _json("SloList")},
                }
            },
            "/api/v1/slos/{name}": {
                "get": {
                    "summary": "One SLO: state, alert rules, alerts, corrections, spec YAML.",
                    "parameters": [name_param, *_params("at")],
                    "responses": {"200": _json("SloDetail"), "404": ERR},
                }
            },
            "/api/v1/slos/{name}/history": {
                "get": {
                    "summary": "SLI, budget remaining, burn rates and status as series.",
                    "parameters": [
                        name_param,
                        *_params("from", "to"),
                        {"name": "step", "in": "query", "schema": STR, "description": "5m, 1h or seconds"},
                        {
                            "name": "group",
                            "in": "query",
                            "schema": STR,
                            "description": 'a group of a grouped SLO, as JSON: {"route": "/orders"}',
                        },
                    ],
                    "responses": {"200": _json("History"), "400": ERR, "404": ERR},
                }
            },
            "/api/v1/alerts": {
                "get": {
                    "summary": "Firing and recent alerts, transitions.",
                    "parameters": _params("since"),
                    "responses": {"200": _json("Alerts")},
                }
            },
            "/api/v1/alerts/{id}/ack": {
                "post": {
                    "summary": "Acknowledge an alert (the first acknowledgement time is kept).",
                    "security": BEARER,
                    "parameters": [id_param],
                    "responses": {"200": _json("Alert"), "401": ERR, "404": ERR},
                }
            },
            "/api/v1/corrections": {
                "get": {
                    "summary": "Corrections from the spec and the API.",
                    "responses": {"200": _json("Corrections")},
                },
                "post": {
                    "summary": "Add a correction: {slo, start, duration, reason}.",
                    "security": BEARER,
                    "responses": {"201": _json("Correction"), "400": ERR, "401": ERR},
                },
            },
            "/api/v1/corrections/{id}": {
                "delete": {
                    "summary": "Remove a correction added through the API.",
                    "security": BEARER,
                    "parameters": [id_param],
                    "responses": {"200": _json("Removed"), "401": ERR, "404": ERR},
                }
            },
            "/api/v1/reload": {
                "post": {
                    "summary": "Reload the spec files.",
                    "security": BEARER,
                    "responses": {"200": _json("Reloaded"), "401": ERR, "422": ERR},
                }
            },
            "/healthz": {"get": {"summary": "The process is up.", "responses": {"200": _json("Health")}}},
            "/readyz": {
                "get": {
                    "summary": "Spec loaded and store open.",
                    "responses": {"200": _json("Health"), "503": ERR},
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics.",
                    "responses": {"200": {"description": "text format"}},
                }
            },
        },
    }
