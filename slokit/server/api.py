"""The read and admin API: SLO states, history, alerts, corrections; reload; acknowledgements.

SLO objects are exactly ``slokit report --output json``'s (:func:`slokit.exporters.report.report_json`,
schema ``slokit.report/v1``), with two API-only fields added: ``labels`` and ``firing_alerts``.
Every number comes from :mod:`slokit.sources.status` and the alert store; nothing here computes.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from slokit.alerting.groups import group_labels
from slokit.alerting.policy import policy_for
from slokit.alerting.state import AlertState, Transition
from slokit.errors import SlokitError
from slokit.exporters.report import report_json
from slokit.server.auth import check_bearer
from slokit.server.errors import ApiError
from slokit.server.ingest import read_body
from slokit.server.runtime import Ack
from slokit.server.state import ServerState
from slokit.sources.status import correction_intervals, evaluate_all, history
from slokit.spec.durations import parse_duration

_encode = msgspec.json.Encoder().encode
#: Most points a history answer holds; a larger range gets a coarser step.
MAX_POINTS = 2000


def json_response(data: Any, status: int = 200) -> Response:
    return Response(_encode(data), status, media_type="application/json")


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.slokit
    return state


def read_access(request: Request) -> ServerState:
    state = _state(request)
    if state.config.protect_read:
        check_bearer(request, state.config.token)
    return state


def admin_access(request: Request) -> ServerState:
    state = _state(request)
    check_bearer(request, state.config.token)
    return state


def iso(t: float | None) -> str | None:
    if t is None or (isinstance(t, float) and math.isnan(t)):
        return None
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def parse_time(text: str | None, default: float, what: str) -> float:
    """RFC 3339 / ISO 8601 (UTC when no offset), epoch seconds, or ``now-2h`` style offsets."""
    if text is None or text == "":
        return default
    value = text.strip()
    now = time.time()
    if value == "now":
        return now
    if value.startswith("now-"):
        try:
            return now - parse_duration(value[4:]).nominal_seconds
        except ValueError as exc:
            raise ApiError(400, f"{what}: {exc}") from None
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        if not math.isfinite(number):
            raise ApiError(400, f"{what}={text!r} is not a time")
        return number
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(
            400,
            f"{what}={text!r} is not a time: use RFC 3339 (2026-03-01T12:00:00Z), epoch seconds or now-6h",
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


# --- alerts ---


def alert_json(s: AlertState, acks: dict[str, Ack]) -> dict[str, Any]:
    ack = acks.get(s.alert_id)
    return {
        "id": s.alert_id,
        "slo": s.key.slo,
        "rule": s.key.rule,
        "group": s.key.group,
        "severity": s.severity,
        "phase": s.phase,
        "since": iso(s.since),
        "fired_at": iso(s.fired_at),
        "resolved_at": iso(s.resolved_at),
        "peak_burn": _num(s.peak_burn),
        "long_burn": _num(s.long_burn),
        "short_burn": _num(s.short_burn),
        "acknowledged_at": None if ack is None else iso(ack.acked_at),
        "acknowledged_by": None if ack is None else ack.acked_by,
        "seconds_to_acknowledge": (
            None if ack is None or s.fired_at is None else round(ack.acked_at - s.fired_at, 3)
        ),
    }


def transition_json(t: Transition) -> dict[str, Any]:
    return {
        "id": t.alert_id,
        "slo": t.key.slo,
        "rule": t.key.rule,
        "group": t.key.group,
        "from": t.from_phase,
        "to": t.to_phase,
        "at": iso(t.at),
        "severity": t.severity,
        "long_burn": _num(t.long_burn),
        "short_burn": _num(t.short_burn),
    }


def _num(x: float | None) -> float | None:
    return None if x is None or math.isnan(x) or math.isinf(x) else float(x)


def _alert_states(state: ServerState) -> tuple[dict[Any, AlertState], dict[str, Ack]]:
    with state.locked():
        return state.alerts.load(), state.runtime.acks()


def firing_by_slo(alerts: dict[Any, AlertState]) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in alerts.values():
        if s.phase == "firing":
            out[s.key.slo] = out.get(s.key.slo, 0) + 1
    return out


# --- SLOs ---


def _evaluate(
    state: ServerState, at: float, names: list[str] | None, with_groups: bool = False
) -> list[dict[str, Any]]:
    """Report objects of the SLOs, one per SLO (``groups`` counts a grouped SLO's groups); with
    ``with_groups``, each grouped SLO's object is followed by its groups' objects, as in the report."""
    with state.locked() as store:
        spec = state.spec
        states = evaluate_all(spec, store, at, names)
        alerts = state.alerts.load()
    firing = firing_by_slo(alerts)
    out = report_json(states)
    if not with_groups:
        out = [obj for obj in out if obj["group"] is None]
    for obj in out:
        slo = spec.slos[obj["name"]]
        obj["labels"] = {k: list(v) for k, v in slo.metadata.labels.items()}
        obj["firing_alerts"] = (
            firing.get(obj["name"], 0)
            if obj["group"] is None
            else firing_in_group(alerts, obj["name"], obj["group"])
        )
        obj["service_display_name"] = (
            spec.services[slo.service].metadata.display_name if slo.service in spec.services else None
        )
    return out


async def list_slos(request: Request) -> Response:
    state = read_access(request)
    given = request.query_params.get("at")
    at = parse_time(given, time.time(), "at")
    key = (state.version, math.floor(at / 60))
    cached = state.overview_cache
    if given is None and cached is not None and cached[0] == key:
        return Response(cached[1], media_type="application/json")

    def build() -> bytes:
        slos = _evaluate(state, at, None)
        return _encode({"at": iso(math.floor(at / 60) * 60), "count": len(slos), "slos": slos})

    body = await run_in_threadpool(build)
    if given is None:
        state.overview_cache = (key, body)
    return Response(body, media_type="application/json")


def _known(state: ServerState, name: str) -> None:
    if name not in state.spec.slos:
        raise ApiError(404, f"no SLO named {name!r}; GET /api/v1/slos lists them")


def _rules(state: ServerState, name: str) -> list[dict[str, Any]]:
    try:
        policy = policy_for(state.spec.slos[name], state.settings)
    except SlokitError:
        return []
    return [
        {
            "name": r.name,
            "severity": r.tier.severity,
            "long_window_seconds": r.tier.long_seconds,
            "short_window_seconds": r.tier.short_seconds,
            "factor": r.tier.factor,
            "budget_share": r.tier.share,
        }
        for r in policy.rules
    ]


def corrections_json(state: ServerState, slo: str | None = None) -> list[dict[str, Any]]:
    runtime = {f"runtime-{c.id}": c for c in state.runtime.corrections()}
    out = []
    for name, c in state.spec.corrections.items():
        applies = [s.name for s in state.spec.slos.values() if c.selector.matches(s)]
        if slo is not None and slo not in applies:
            continue
        rt = runtime.get(name)
        out.append(
            {
                "id": rt.id if rt is not None else name,
                "name": name,
                "source": "api" if rt is not None else "spec",
                "slos": applies,
                "start": iso(c.start.timestamp()),
                "duration_seconds": c.duration_seconds,
                "rrule": c.rrule,
                "reason": c.reason,
            }
        )
    return out


def firing_in_group(alerts: dict[Any, AlertState], slo: str, labels: dict[str, str]) -> int:
    """Firing alerts of one group of a grouped SLO (the alert's group ends with its labels)."""
    return sum(
        1
        for s in alerts.values()
        if s.phase == "firing" and s.key.slo == slo and group_labels(s.key.group) == labels
    )


def _detail(state: ServerState, name: str, at: float) -> dict[str, Any]:
    slo, *groups = _evaluate(state, at, [name], with_groups=True)
    with state.locked():
        alerts = state.alerts.load()
        acks = state.runtime.acks()
        trans = state.alerts.history(slo=name)
        corrections = corrections_json(state, name)
    return {
        "slo": slo,
        "groups": groups,
        "alert_rules": _rules(state, name),
        "alerts": [alert_json(s, acks) for s in alerts.values() if s.key.slo == name and s.alert_id],
        "alert_history": [transition_json(t) for t in trans[-200:]],
        "corrections": corrections,
        "spec_yaml": state.spec_yaml(name),
    }


async def get_slo(request: Request) -> Response:
    state = read_access(request)
    name = request.path_params["name"]
    _known(state, name)
    at = parse_time(request.query_params.get("at"), time.time(), "at")
    return json_response(await run_in_threadpool(_detail, state, name, at))


def _history(
    state: ServerState, name: str, start: float, end: float, step: int, group: dict[str, str] | None = None
) -> dict[str, Any]:
    with state.locked() as store:
        spec = state.spec
        h = history(spec, store, name, start, end, step, group=group)
        slo = spec.slos[name]
        spans = correction_intervals(spec.corrections_for(slo), start, end)
    target = min((o.target for o in slo.objectives), default=None)

    def col(a: Any) -> list[float | None]:
        return [None if math.isnan(x) else float(x) for x in a.tolist()]

    return {
        "slo": name,
        "group": group,
        "from": iso(float(h.at[0])) if h.at.size else None,
        "to": iso(float(h.at[-1])) if h.at.size else None,
        "step_seconds": step,
        "target": None if slo.is_composite else target,
        "at": [int(x) for x in h.at.tolist()],
        "sli": col(h.sli),
        "budget_remaining": col(h.remaining),
        "burn_rates": {k: col(v) for k, v in h.burn_rates.items()},
        "status": h.status_names,
        "corrections": [[iso(float(a)), iso(float(b))] for a, b in spans.tolist()],
    }


async def slo_history(request: Request) -> Response:
    state = read_access(request)
    name = request.path_params["name"]
    _known(state, name)
    now = time.time()
    q = request.query_params
    end = parse_time(q.get("to"), now, "to")
    start = parse_time(q.get("from"), end - 86400, "from")
    if end < start:
        raise ApiError(400, "from must not be after to")
    if end - start > 400 * 86400:
        raise ApiError(400, "a history range is at most 400 days")
    step_text = q.get("step")
    if step_text:
        try:
            step = int(parse_duration(step_text).seconds) if not step_text.isdigit() else int(step_text)
        except ValueError as exc:
            raise ApiError(400, f"step={step_text!r}: {exc}; use e.g. 5m or 300") from None
        if step < 60 or step % 60:
            raise ApiError(400, "step must be a whole number of minutes (60, 5m, 1h, ...)")
        if (end - start) / step > MAX_POINTS:
            raise ApiError(
                400, f"at most {MAX_POINTS} points per request: use a larger step or a shorter range"
            )
    else:
        step = max(60, math.ceil((end - start) / 300 / 60) * 60)
    group = _group_param(q.get("group"))
    return json_response(await run_in_threadpool(_history, state, name, start, end, step, group))


def _group_param(text: str | None) -> dict[str, str] | None:
    """``group={"route": "/cart"}``: one group of a grouped SLO, as the SLO's objects give it."""
    if text is None or text == "":
        return None
    try:
        value = msgspec.json.decode(text.encode())
    except msgspec.DecodeError:
        value = None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ApiError(400, 'group must be a JSON object of labels, e.g. group={"route": "/orders"}')
    return {str(k): v for k, v in value.items()}


# --- alerts ---


async def list_alerts(request: Request) -> Response:
    state = read_access(request)
    q = request.query_params
    since = parse_time(q.get("since"), time.time() - 7 * 86400, "since")
    try:
        limit = int(q.get("limit", "500"))
    except ValueError:
        raise ApiError(400, "limit must be a whole number") from None

    def read() -> dict[str, Any]:
        with state.locked():
            alerts = state.alerts.load()
            acks = state.runtime.acks()
            trans = state.alerts.history(since=since)
        recent = [
            alert_json(s, acks)
            for s in alerts.values()
            if s.alert_id and s.phase in ("firing", "resolved", "pending")
        ]
        recent.sort(key=lambda a: a["fired_at"] or a["since"] or "", reverse=True)
        return {
            "firing": [a for a in recent if a["phase"] == "firing"],
            "recent": recent,
            "history": [transition_json(t) for t in trans[-limit:]],
        }

    return json_response(await run_in_threadpool(read))


async def ack_alert(request: Request) -> Response:
    state = admin_access(request)
    alert_id = request.path_params["id"]
    body = await _json_body(request, optional=True)
    by = str(body.get("by", "")) if isinstance(body, dict) else ""
    note = str(body.get("note", "")) if isinstance(body, dict) else ""

    def do() -> dict[str, Any]:
        with state.locked():
            alerts = {s.alert_id: s for s in state.alerts.load().values() if s.alert_id}
            if alert_id not in alerts:
                raise ApiError(404, f"no alert with id {alert_id!r}; GET /api/v1/alerts lists them")
            state.runtime.ack(alert_id, by[:200], note[:2000])
            return alert_json(alerts[alert_id], state.runtime.acks())

    return json_response(await run_in_threadpool(do))


# --- corrections ---


async def list_corrections(request: Request) -> Response:
    state = read_access(request)
    with state.locked():
        data = corrections_json(state)
    return json_response({"corrections": data})


async def add_correction(request: Request) -> Response:
    state = admin_access(request)
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "send a JSON object: {slo, start, duration, reason}")
    slo = body.get("slo")
    if not isinstance(slo, str) or slo not in state.spec.slos:
        raise ApiError(400, f"slo: {slo!r} is not an SLO of the spec; GET /api/v1/slos lists them")
    start = parse_time(str(body.get("start", "")), math.nan, "start")
    if math.isnan(start):
        raise ApiError(400, "start is required (RFC 3339, e.g. 2026-03-01T02:00:00Z)")
    try:
        duration = int(parse_duration(str(body.get("duration", ""))).seconds)
    except ValueError as exc:
        raise ApiError(400, f"duration: {exc}; use e.g. 30m or 2h") from None
    if duration <= 0:
        raise ApiError(400, "duration must be positive")
    reason = str(body.get("reason", "")).strip() or "maintenance"

    def do() -> dict[str, Any]:
        with state.locked():
            c = state.runtime.add_correction(slo, start, duration, reason[:500])
            state.refresh_corrections()
            return next(x for x in corrections_json(state) if x["id"] == c.id)

    return json_response(await run_in_threadpool(do), 201)


async def remove_correction(request: Request) -> Response:
    state = admin_access(request)
    cid = request.path_params["id"]

    def do() -> bool:
        with state.locked():
            found = state.runtime.remove_correction(cid)
            if found:
                state.refresh_corrections()
            return found

    if not await run_in_threadpool(do):
        raise ApiError(
            404,
            f"no correction added through the API with id {cid!r} (spec corrections are edited in the spec)",
        )
    return json_response({"removed": cid})


async def reload_spec(request: Request) -> Response:
    state = admin_access(request)
    try:
        spec = await run_in_threadpool(state.reload)
    except SlokitError as exc:
        raise ApiError(422, f"the spec was not reloaded (the previous one stays in use): {exc}") from None
    return json_response({"reloaded": True, "slos": len(spec.slos), "generation": state.generation})


async def list_streams(request: Request) -> Response:
    state = read_access(request)
    with state.locked() as store:
        streams = store.streams()
    return json_response({"streams": {k: {"accepted": int(v["accepted"] or 0)} for k, v in streams.items()}})


async def _json_body(request: Request, optional: bool = False) -> Any:
    data = await read_body(request, 1 << 20)
    if not data.strip():
        if optional:
            return {}
        raise ApiError(400, "a JSON body is required")
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise ApiError(400, f"malformed JSON: {exc}") from None
