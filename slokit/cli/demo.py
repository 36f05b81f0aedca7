"""``slokit demo``: the dashboard of the two example platforms, live, in one command.

It loads ``examples/mtogo`` and ``examples/cnc-quote`` (from ``./examples``, or the copy the build
ships inside the package as ``slokit/_examples``), backfills a few days of simulated history
into a fresh store (directly, before serving, so the charts have shape at once), then serves the
API and dashboard and streams simulated traffic to the ingest API as time passes, with a hard
outage of one service every few minutes so alerts fire and resolve while you watch. Everything
comes from :mod:`slokit.simulator` (deterministic for a seed). Ctrl-C stops the traffic and the
server and removes the temporary store.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import itertools
import logging
import os
import secrets
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import click

from slokit.errors import UsageError
from slokit.spec.durations import parse_duration

MINUTE_MS = 60_000
SCENARIOS = (("mtogo", "mtogo"), ("cnc-quote", "cnc-quote"))


#: The example platforms inside an installed package (the build copies them from examples/).
PACKAGED_EXAMPLES = "_examples"


def packaged_examples() -> Path | None:
    """The examples folder shipped in the installed package, so ``slokit demo`` needs no repository;
    None in a source checkout or editable install (there the repository's examples/ is read)."""
    root = importlib.resources.files("slokit") / PACKAGED_EXAMPLES
    # The server reads the specs by path (reload, the YAML of an SLO), so only a real folder will do.
    return root if isinstance(root, Path) and root.is_dir() else None


def find_examples(given: str | None) -> Path:
    """The examples folder: the one given, else ./examples (a checkout, or your own edited copy),
    else the one shipped in the installed package, else the one beside the package (a checkout)."""
    if given:
        candidates = [Path(given)]
    else:
        packaged = packaged_examples()
        candidates = [Path("examples"), *([packaged] if packaged else [])]
        candidates.append(Path(__file__).resolve().parents[2] / "examples")
    for c in candidates:
        if (c / "mtogo").is_dir() and (c / "cnc-quote").is_dir():
            return c
    if given:
        raise UsageError(
            f"--examples {given}: no mtogo/ and cnc-quote/ folders in it; give the examples folder of "
            "the slokit repository (or leave --examples out to use the copy installed with slokit)"
        )
    where = ", ".join(str(c) for c in candidates)
    raise UsageError(
        f"no examples folder with mtogo/ and cnc-quote/ at {where}; the installed slokit lacks its "
        "copy of the examples: reinstall it, or pass --examples DIR (the repository's examples/)"
    )


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """``kill PID`` stops the demo as Ctrl-C does: traffic and server stopped, temporary store removed.

    uvicorn shuts down gracefully on SIGTERM, then raises the signal again for the previous handler;
    with the default one the process ended there, before the temporary store was removed.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


#: The last hours of history are replayed through the alert evaluator, every few minutes.
REPLAY_HOURS = 12
REPLAY_STEP_S = 300


def replay_alerts(store_path: str, spec: object, until_ms: int) -> int:
    """Evaluate alerts over the last hours of the backfilled history, so the dashboard opens with
    an alert timeline (the live evaluator continues from these states). Returns the transitions."""
    from slokit.alerting.evaluator import Evaluator
    from slokit.sources.store import Store
    from slokit.spec.model import Spec

    assert isinstance(spec, Spec)
    end = until_ms // 1000
    with Store.open(store_path, lateness_seconds=None) as store:
        evaluator = Evaluator(spec, store)
        count = 0
        for at in range(end - REPLAY_HOURS * 3600, end + 1, REPLAY_STEP_S):
            count += len(evaluator.evaluate(at).transitions)
    return count


@dataclass
class Plan:
    """One scenario's simulation (history and live part share it, so they are one series)."""

    name: str
    sim: object  # slokit.simulator.Simulation


def plans(now_ms: int, days: float, hours: float, every_ms: int, seed: int, rate: float) -> list[Plan]:
    from slokit.simulator import Incident, scenario, simulation

    end = now_ms + round(hours * 3_600_000)
    total_days = days + hours / 24
    out: list[Plan] = []
    scenarios = [scenario(name) for name, _ in SCENARIOS]
    # Live outages alternate between the platforms and walk through their hard-outage templates.
    outages = [itertools.cycle([t for t in sc.templates if t.kind == "hard_outage"]) for sc in scenarios]
    live: list[list[Incident]] = [[] for _ in scenarios]
    start = now_ms // MINUTE_MS * MINUTE_MS + MINUTE_MS
    for k, t in enumerate(range(start, end, every_ms)):
        which = k % len(scenarios)
        template = next(outages[which])
        slos_of = scenarios[which].slos_of()
        slos = sorted(
            {s for e in template.effects for group in slos_of.get(e.source, ((), ())) for s in group}
        )
        live[which].append(
            Incident(
                f"demo-{k}",
                "hard_outage",
                template.service,
                t,
                t + 6 * MINUTE_MS,
                f"demo outage: {template.description}",
                template.effects,
                tuple(slos),
            )
        )
    for i, sc in enumerate(scenarios):
        planned = simulation(sc, end, days=total_days, seed=seed, rate_scale=rate)
        past = [inc for inc in planned.incidents if inc.start_ms < now_ms]
        out.append(
            Plan(
                sc.name,
                simulation(sc, end, days=total_days, seed=seed, rate_scale=rate, incidents=past + live[i]),
            )
        )
    return out


def chunks(sim: object, lo: int, hi: int) -> list[tuple[int, int]]:
    from slokit.simulator.generate import CHUNK_MS

    out = []
    while lo < hi:
        top = min((lo // CHUNK_MS + 1) * CHUNK_MS, hi)
        out.append((lo, top))
        lo = top
    return out


def backfill(store_path: str, spec: object, items: list[Plan], until_ms: int) -> int:
    from slokit.simulator.generate import Simulation, generate_chunk
    from slokit.sources.store import Store
    from slokit.spec.model import Spec

    assert isinstance(spec, Spec)
    n = 0
    with Store.open(store_path, lateness_seconds=None) as store:
        for plan in items:
            sim = plan.sim
            assert isinstance(sim, Simulation)
            for lo, hi in chunks(sim, sim.start_ms, until_ms):
                for stream, table in generate_chunk(sim, lo, hi).items():
                    if table.num_rows:
                        store.ingest(
                            stream, table, spec=spec, batch_id=f"demo-backfill-{plan.name}-{stream}-{lo}"
                        )
                        n += table.num_rows
    return n


def feed(
    url: str, token: str, items: list[Plan], from_ms: int, stop: threading.Event, tick_s: float = 2.0
) -> None:
    """Post the events whose time has come, every ``tick_s`` seconds, as NDJSON batches."""
    import httpx
    import numpy as np

    from slokit.simulator.files import jsonl_bytes
    from slokit.simulator.generate import CHUNK_MS, Simulation, generate_chunk

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
    emitted = from_ms
    cache: dict[tuple[str, int], dict[str, object]] = {}
    with httpx.Client(base_url=url, headers=headers, timeout=30.0) as client:
        while not stop.wait(tick_s):
            now = int(time.time() * 1000)
            for plan in items:
                sim = plan.sim
                assert isinstance(sim, Simulation)
                for lo, hi in chunks(sim, emitted, min(now, sim.end_ms)):
                    key = (plan.name, lo // CHUNK_MS)
                    if key not in cache:
                        if len(cache) > 8:
                            cache.clear()
                        c0 = lo // CHUNK_MS * CHUNK_MS
                        cache[key] = dict(
                            generate_chunk(sim, max(c0, sim.start_ms), min(c0 + CHUNK_MS, sim.end_ms))
                        )
                    for stream, table in cache[key].items():
                        ts = table.column("ts").to_numpy()  # type: ignore[attr-defined]
                        a, b = np.searchsorted(ts, [lo, hi], side="left")
                        if b <= a:
                            continue
                        part = table.slice(int(a), int(b - a))  # type: ignore[attr-defined]
                        with contextlib.suppress(httpx.HTTPError):
                            client.post(
                                f"/api/v1/streams/{stream}/events",
                                content=jsonl_bytes(part),
                                headers={"Idempotency-Key": f"demo-{plan.name}-{stream}-{lo}-{hi}"},
                            )
            emitted = max(emitted, now)


@click.command(
    "demo",
    epilog="""\b
Examples:
  slokit demo                              # from anywhere; open the printed URL
  slokit demo --days 7 --port 9000 --store demo.duckdb

Exit codes: 0 stopped with Ctrl-C (or SIGTERM), 1 the port is taken or the examples or the store
could not be used, 2 wrong usage.
""",
)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback only by default)."
)
@click.option(
    "--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on."
)
@click.option(
    "--days", default=3.0, show_default=True, type=click.FloatRange(0.1, 30), help="Days of history."
)
@click.option("--incident-every", default="4m", show_default=True, help="A live outage this often.")
@click.option(
    "--rate-scale",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0.01, 10),
    help="Traffic volume relative to the scenarios' rates.",
)
@click.option(
    "--seed",
    default=1,
    show_default=True,
    type=click.IntRange(0),
    help="Simulator seed (same seed, same history).",
)
@click.option(
    "--store", "store_path", default=None, type=click.Path(), help="Keep the store here (default: temporary)."
)
@click.option(
    "--examples",
    default=None,
    type=click.Path(),
    help="Folder holding mtogo/ and cnc-quote/ (default: ./examples if it has both, else the copy "
    "installed with slokit).",
)
def demo(
    host: str,
    port: int,
    days: float,
    incident_every: str,
    rate_scale: float,
    seed: int,
    store_path: str | None,
    examples: str | None,
) -> None:
    """A live dashboard of the example platforms: history, live traffic and outages. Ctrl-C stops."""
    import uvicorn

    from slokit.server.app import create_app
    from slokit.server.state import ServerConfig
    from slokit.spec.loader import load_paths

    try:
        every_ms = int(parse_duration(incident_every).seconds * 1000)
    except ValueError as exc:
        raise UsageError(f"--incident-every {incident_every!r}: {exc}") from None
    if every_ms < MINUTE_MS:
        raise UsageError("--incident-every must be at least 1m")
    from slokit.cli.serve import check_port

    check_port(host, port)
    root = find_examples(examples)
    paths = (str(root / "mtogo"), str(root / "cnc-quote"))
    spec, _ = load_paths(paths)
    token = os.environ.get("SLOKIT_API_TOKEN") or secrets.token_urlsafe(18)
    with sigterm_as_interrupt():
        tmp = None if store_path else tempfile.mkdtemp(prefix="slokit-demo-")
        path = store_path or str(Path(tmp or ".") / "demo.duckdb")
        try:
            now_ms = int(time.time() * 1000) // MINUTE_MS * MINUTE_MS
            items = plans(now_ms, days, 24.0, every_ms, seed, rate_scale)
            click.echo(
                f"slokit demo: simulating {days:g} days of history for {len(spec.slos)} SLOs …", err=True
            )
            started = time.monotonic()
            n = backfill(path, spec, items, now_ms)
            click.echo(f"slokit demo: {n:,} events stored in {time.monotonic() - started:.1f} s", err=True)
            changes = replay_alerts(path, spec, now_ms)
            click.echo(
                f"slokit demo: last {REPLAY_HOURS} h replayed through the alert rules ({changes} changes)",
                err=True,
            )
            # Live alert notices go to the dashboard, not to the terminal.
            logging.getLogger("slokit.server.evaluator").setLevel(logging.ERROR)
            config = ServerConfig(spec_paths=paths, store_path=path, token=token, eval_interval=10.0)
            app = create_app(config)
            server = uvicorn.Server(
                uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
            )
            stop = threading.Event()
            url = f"http://{host}:{port}"

            def start_feeding() -> None:
                while not server.started and not stop.is_set():
                    time.sleep(0.1)
                if stop.is_set():
                    return
                click.echo(
                    f"\n  Dashboard: {url}/\n  API token: {token}\n"
                    f"  An outage every {incident_every}; Ctrl-C stops.\n",
                    err=True,
                )
                feed(url, token, items, now_ms, stop)

            feeder = threading.Thread(target=start_feeding, name="slokit-demo-feed", daemon=True)
            feeder.start()
            try:
                server.run()
            except KeyboardInterrupt:  # uvicorn re-raises the signal after its graceful shutdown
                pass
            finally:
                stop.set()
                feeder.join(10)
            click.echo("slokit demo: stopped", err=True)
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
