"""The command line as a new user meets it: every ``--help``, every example it shows, ``--output``
for scripts, and bad input of every kind.

Oracles: the help texts themselves (each example must run as written, in a fresh folder that
holds the files the examples name), the JSON and YAML parsers (stdout of ``--output json|yaml``
must parse as one document, with warnings and progress on stderr), and the exit-code contract
(0 success, 1 invalid input or a failed check, 2 wrong usage, 130 interrupted; never a
traceback).
"""

from __future__ import annotations

import glob
import gzip
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import click
import duckdb
import pyarrow as pa
import pytest
import yaml
from click.testing import CliRunner, Result

from slokit.cli.main import COMMANDS, cli, is_interrupt

REPO = Path(__file__).resolve().parents[2]
#: A fixed instant inside the simulated range, so reports do not depend on today's date.
END = "2026-03-10T00:00:00Z"

SERVICES = """\
apiVersion: openslo/v1
kind: Service
metadata:
  name: checkout
spec:
  description: Checkout API
---
apiVersion: openslo/v1
kind: Service
metadata:
  name: web
spec:
  description: Web front end
---
apiVersion: openslo/v1
kind: Service
metadata:
  name: api
spec:
  description: Public API
"""

CHECKOUT = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-availability
spec:
  service: checkout
  indicator:
    metadata:
      name: checkout-orders
    spec:
      ratioMetric:
        good:
          metricSource:
            type: slokit
            spec:
              stream: orders
              where: status < 500
        total:
          metricSource:
            type: slokit
            spec:
              stream: orders
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: Orders succeed
      target: 0.999
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-latency
spec:
  service: checkout
  indicator:
    metadata:
      name: checkout-latency-seconds
    spec:
      thresholdMetric:
        metricSource:
          type: prometheus
          spec:
            histogram: http_request_duration_seconds
            selector: '{job="checkout"}'
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: Fast checkout
      op: lt
      value: 0.5
      target: 0.95
"""

WEB_AND_API = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: web-availability
spec:
  service: web
  indicator:
    metadata:
      name: web-requests
    spec:
      ratioMetric:
        bad:
          metricSource:
            type: slokit
            spec:
              stream: web
              where: status >= 500
        total:
          metricSource:
            type: slokit
            spec:
              stream: web
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.99
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-latency
spec:
  service: api
  indicator:
    metadata:
      name: api-latency-ms
    spec:
      thresholdMetric:
        metricSource:
          type: slokit
          spec:
            stream: api
            value: latency_ms
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - op: lt
      value: 500
      target: 0.95
"""

SLO_MD = """\
# API SLOs

- **API Uptime**: 99.9% (monthly)
- **API Response Time**: 95th percentile < 500ms over 30 days
- **API Error Rate**: < 0.1% of requests
"""

SLOTH = """\
version: "prometheus/v1"
service: "myservice"
slos:
  - name: "requests-availability"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="myservice",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="myservice"}[{{.window}}]))
    alerting:
      name: MyServiceHighErrorRate
"""

ALERT_SETTINGS = """\
name: mine
minBadEvents: 3
tiers:
  - {severity: page, long: 1h, factor: 14.4}
  - {severity: ticket, long: 6h, factor: 6}
"""

NGINX_LINE = (
    '127.0.0.1 - - [09/Mar/2026:12:{minute:02d}:00 +0000] "GET /items HTTP/1.1" {status} 12 "-" "curl" '
    "0.{ms:03d}\n"
)

#: Examples that cannot run here, and why (checked against the help texts: a stale entry fails).
NOT_RUNNABLE = {
    "kubectl": "needs a Kubernetes cluster",
    "--source prometheus": "needs a running Prometheus (tests/integration covers it)",
    "slokit serve": "starts a server that runs until stopped (tests/server covers it)",
    "slokit demo": "starts a server that runs until stopped",
    "curl ": "talks to a running slokit serve",
}


def invoke(args: list[str], input_text: str | None = None) -> Result:
    """Run slokit in-process with a wide terminal; stdout and stderr kept apart."""
    return CliRunner().invoke(cli, args, input=input_text, env={"COLUMNS": "200"}, prog_name="slokit")


def no_traceback(result: Result) -> None:
    """A finished command either succeeded or exited with a message: never an uncaught exception."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {result.exception!r}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    )
    assert "Traceback" not in result.stderr


def _simulate_and_ingest(example: str, store: str, out: str) -> None:
    """A day of an example's traffic at a fifth of its rates: quick, and every stream has events."""
    simulate = ["simulate", "--example", example, "--days", "1", "--end", END, "--rate-scale", "0.2"]
    result = invoke([*simulate, "--out", out, "--quiet"])
    assert result.exit_code == 0, result.stderr
    files = sorted(glob.glob(f"{out}/*.parquet"))
    result = invoke(["ingest", *files, "--spec", f"examples/{example}", "--store", store, "--output", "json"])
    assert result.exit_code == 0, result.stderr


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder holding every file the help examples name, built once for the module."""
    root = tmp_path_factory.mktemp("workspace")
    here = Path.cwd()
    os.chdir(root)
    try:
        (root / "examples").mkdir()
        for name in ("mtogo", "cnc-quote"):
            shutil.copytree(REPO / "examples" / name, root / "examples" / name)
        slos = root / "slos"
        (slos / "common").mkdir(parents=True)
        (slos / "common" / "services.yaml").write_text(SERVICES)
        (slos / "checkout.yaml").write_text(CHECKOUT)
        (slos / "web.yaml").write_text(WEB_AND_API)
        assert invoke(["fmt", "slos/"]).exit_code == 0  # canonical, so `fmt --check slos/` passes
        shutil.copy(slos / "checkout.yaml", root / "slo.yaml")
        (root / "SLO.md").write_text(SLO_MD)
        (root / "sloth").mkdir()
        (root / "sloth" / "api.yaml").write_text(SLOTH)
        (root / "api.yaml").write_text(SLOTH)
        (root / "mine.yaml").write_text(ALERT_SETTINGS)
        events = [
            {"ts": f"2026-03-09T12:{m:02d}:00Z", "status": 500 if m % 7 == 0 else 200, "latency_ms": 40 + m}
            for m in range(60)
        ]
        (root / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
        log = "".join(
            NGINX_LINE.format(minute=m, status=502 if m % 9 == 0 else 200, ms=20 + m) for m in range(60)
        )
        (root / "access.log").write_text(log)
        (root / "access.log.1.gz").write_bytes(gzip.compress(log.encode()))
        (root / "access.log.2.zst").write_bytes(bytes(pa.compress(log.encode(), "zstd", asbytes=True)))
        for stream in ("api", "orders"):
            args = ["ingest", "events.jsonl", "--stream", stream, "--spec", "slos/", "--store", "slo.duckdb"]
            assert invoke(args).exit_code == 0
        _simulate_and_ingest("mtogo", "mtogo.duckdb", "sim")
        _simulate_and_ingest("cnc-quote", "cnc.duckdb", "sim-cnc")
        yield root
    finally:
        os.chdir(here)


#: Files of the workspace that no example writes to.
SHARED = ("mtogo.duckdb", "cnc.duckdb", "sim-cnc", "examples")


@pytest.fixture
def in_copy(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the workspace as the current folder: examples may write into it."""
    copy = tmp_path / "w"
    shutil.copytree(workspace, copy, ignore=shutil.ignore_patterns(*SHARED))
    for name in SHARED:  # only read by the examples: shared, not copied, to keep the tests quick
        (copy / name).symlink_to(workspace / name)
    monkeypatch.chdir(copy)
    return copy


def command_paths(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command and subcommand, as the words a user types."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))


def help_text(path: tuple[str, ...]) -> str:
    result = invoke([*path, "--help"])
    assert result.exit_code == 0, result.output
    return result.stdout


EXAMPLE_HEADERS = re.compile(r"^\s*(Examples?:|Start here:|Measure your own:)\s*$")


def examples_in(text: str) -> list[str]:
    """The example command lines of a help text (description after two spaces dropped)."""
    found: list[str] = []
    in_block = False
    for line in text.splitlines():
        if EXAMPLE_HEADERS.match(line):
            in_block = True
            continue
        if not line.strip():
            in_block = False
            continue
        stripped = line.strip()
        if in_block and re.match(r"^(\w+=\S+ )*(slokit|cat|kubectl|curl) ", stripped):
            found.append(re.split(r"\s{2,}", stripped)[0])
    return found


def resolve(path: tuple[str, ...]) -> click.Command:
    command: click.Command | None = cli
    for word in path:
        assert isinstance(command, click.Group)
        command = command.get_command(click.Context(command), word)
    assert command is not None
    return command


def is_group(path: tuple[str, ...]) -> bool:
    return isinstance(resolve(path), click.Group)


ALL_COMMANDS = [" ".join(p) for p in command_paths()]
LEAVES = [p for p in ALL_COMMANDS if not is_group(tuple(p.split()))]
HELP_EXAMPLES = [
    (" ".join(path) or "slokit", example)
    for path in [(), *(tuple(p.split()) for p in ALL_COMMANDS)]
    for example in examples_in(help_text(path))
]


def test_every_command_is_listed() -> None:
    assert {p.split()[0] for p in ALL_COMMANDS} == set(COMMANDS)
    assert len(HELP_EXAMPLES) > 30


@pytest.mark.parametrize("path", ["", *ALL_COMMANDS])
def test_help(path: str) -> None:
    text = help_text(tuple(path.split()))
    assert text.startswith("Usage: slokit")
    if path in LEAVES and path not in ("serve", "demo"):
        # A leaf command teaches by example and says what its exit codes mean.
        assert examples_in(text), f"slokit {path} --help shows no example"
        assert re.search(r"\bexit", text, re.IGNORECASE), f"slokit {path} --help names no exit code"
        for param in resolve(tuple(path.split())).params:
            if isinstance(param, click.Option) and param.name != "help":
                assert param.help, f"slokit {path} {param.opts[0]} has no help text"


def _skip_reason(example: str) -> str | None:
    for marker, reason in NOT_RUNNABLE.items():
        if marker in example:
            return reason
    if " --check" in example and example.startswith("slokit generate") and shutil.which("promtool") is None:
        return "integration: --check needs promtool"
    return None


def test_not_runnable_list_is_current() -> None:
    for marker in NOT_RUNNABLE:
        assert any(marker in example for _, example in HELP_EXAMPLES), f"no help example uses {marker!r}"


def _words(command: str) -> list[str]:
    """Shell words of one command, with globs expanded as a shell would."""
    words: list[str] = []
    for word in shlex.split(command):
        matches = sorted(glob.glob(word)) if any(c in word for c in "*?[") else []
        words.extend(matches or [word])
    return words


# Exit codes an example may end with besides 0, because the help says so.
DOCUMENTED_EXITS = {"gate": {0, 1}}


@pytest.mark.parametrize(("where", "example"), HELP_EXAMPLES)
def test_help_example_runs(where: str, example: str, in_copy: Path) -> None:
    reason = _skip_reason(example)
    if reason is not None:
        pytest.skip(reason)
    for step in example.split("&&"):
        input_text = None
        command = step.strip()
        if "|" in command:
            producer, command = (part.strip() for part in command.split("|", 1))
            words = _words(producer)
            assert words[0] == "cat", f"unexpected pipe in {example!r}"
            input_text = "".join(Path(w).read_text() for w in words[1:])
        words = _words(command)
        assert words[0] == "slokit", example
        result = invoke(words[1:], input_text)
        no_traceback(result)
        allowed = DOCUMENTED_EXITS.get(words[1], {0})
        assert result.exit_code in allowed, f"{example!r} exited {result.exit_code}: {result.stderr}"


# --- --output json|yaml: exactly one document on stdout -------------------------------------

DATA_COMMANDS = [
    ["validate", "examples/mtogo"],
    ["list", "examples/"],
    ["budget", "examples/cnc-quote"],
    ["budget", "--target", "99.9", "--window", "1M"],
    ["lint", "doc", "SLO.md"],
    ["import", "doc", "SLO.md"],
    ["report", "examples/mtogo", "--store", "mtogo.duckdb", "--at", END],
    ["gate", "examples/mtogo", "--store", "mtogo.duckdb", "--at", END],
    ["backtest", "examples/mtogo", "--store", "mtogo.duckdb", "--policy", "default"],
    ["ingest", "events.jsonl", "--stream", "api", "--spec", "slos/", "--store", "x.duckdb"],
]


@pytest.mark.parametrize("fmt", ["json", "yaml"])
@pytest.mark.parametrize("args", DATA_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_machine_output_is_clean(args: list[str], fmt: str, in_copy: Path) -> None:
    result = invoke([*args, "--output", fmt])
    no_traceback(result)
    assert result.exit_code in DOCUMENTED_EXITS.get(args[0], {0}), result.stderr
    data = json.loads(result.stdout) if fmt == "json" else yaml.safe_load(result.stdout)
    assert data, f"slokit {' '.join(args)} --output {fmt} printed nothing on stdout"


def test_data_commands_take_output_flag() -> None:
    """Every command that prints data offers --output with json and yaml."""
    for args in DATA_COMMANDS:
        path = tuple(args[:2]) if args[0] in ("lint", "import") else (args[0],)
        flag = re.search(r"--output \[([a-z|]+)\]", help_text(path))
        assert flag is not None and {"json", "yaml"} <= set(flag.group(1).split("|")), path


# --- bad input: a message that says where and what to do, the documented exit code ----------

BAD_INPUT = [
    # (arguments, exit code, words the message must contain)
    (["validate", "missing.yaml"], 2, "no such file or folder: missing.yaml"),
    (["validate", "empty"], 1, "no *.yaml or *.yml files in folder empty"),
    (["validate", "broken.yaml"], 1, "broken.yaml:4:9"),
    (["list"], 2, "e.g. slokit list examples/"),
    (["fmt"], 2, "e.g. slokit fmt examples/"),
    (["report", "--store", "mtogo.duckdb"], 2, "e.g. slokit report examples/"),
    (["list", "empty"], 1, "no *.yaml or *.yml files"),
    *(
        ([*command, "broken.yaml", *rest], 1, "broken.yaml:4:9: error: metadata.name")
        for command, rest in [
            (["gate"], ["--store", "mtogo.duckdb"]),
            (["report"], ["--store", "mtogo.duckdb"]),
            (["backtest"], ["--store", "mtogo.duckdb"]),
            (["budget"], []),
            (["generate", "prometheus"], []),
            (["generate", "grafana"], ["-o", "d"]),
            (["ingest", "events.jsonl", "--stream", "api", "--store", "x.duckdb", "--spec"], []),
        ]
    ),
    (["budget", "--target", "99.9", "--at", "garbage"], 2, "'garbage' is not an ISO 8601"),
    (["gate", "examples/mtogo", "--store", "missing.duckdb"], 1, "create one with slokit ingest"),
    (["gate", "examples/mtogo", "--store", "empty"], 1, "--store empty is a folder"),
    (["report", "examples/mtogo", "--store", "empty"], 1, "--store empty is a folder"),
    (["backtest", "examples/mtogo", "--store", "empty"], 1, "--store empty is a folder"),
    (["gate", "examples/mtogo", "--store", "random.txt"], 1, "cannot open the store random.txt"),
    (["report", "examples/mtogo", "--store", "other.duckdb"], 1, "other.duckdb is not a slokit store"),
    (["gate", "examples/mtogo", "--store", "newer.duckdb"], 1, "written by a newer slokit"),
    (["gate", "examples/mtogo", "--store", "mtogo.duckdb", "--at", "garbage"], 2, "--at: 'garbage'"),
    (["report", "examples/mtogo", "--store", "mtogo.duckdb", "--at", "soon"], 2, "--at: 'soon'"),
    (["gate", "examples/mtogo", "--store", "mtogo.duckdb", "--slo", "nope"], 2, "--slo 'nope'"),
    (["report", "examples/mtogo", "--store", "mtogo.duckdb", "--slo", "nope"], 2, "known SLOs: agent-"),
    (["backtest", "examples/mtogo", "--store", "mtogo.duckdb", "--from", "2030-01-01"], 2, "earlier --from"),
    (
        ["backtest", "examples/mtogo", "--store", "mtogo.duckdb", "--incidents", "random.txt"],
        1,
        "random.txt:1:1",
    ),
    (
        ["backtest", "examples/mtogo", "--store", "mtogo.duckdb", "--min-incident-budget", "500"],
        2,
        "0<=x<=100",
    ),
    (["import", "doc", "empty"], 2, "empty is a folder; give the Markdown document"),
    (["lint", "doc", "empty"], 2, "empty is a folder"),
    (["import", "doc", "missing.md"], 2, "no such file: missing.md"),
    (["import", "doc", "SLO.md", "-o", "random.txt/out"], 1, "-o random.txt/out: cannot create the folder"),
    (["import", "doc", "SLO.md", "-o", "random.txt"], 2, "is a file"),
    (["generate", "grafana", "slos/", "-o", "random.txt/d"], 1, "-o random.txt/d: cannot create the folder"),
    (["generate", "prometheus", "slos/", "-o", "random.txt/r.yaml"], 2, "is a file, not a folder"),
    (["convert", "--from", "sloth", "api.yaml", "-o", "random.txt/y.yaml"], 2, "is a file, not a folder"),
    (["convert", "--from", "sloth", "api.yaml", "-o", "random.txt/a/y.yaml"], 2, "'random.txt' is a file"),
    (["convert", "--from", "sloth", "api.yaml", "-o", "empty"], 2, "'empty': it is a folder; give the path"),
    (["convert", "--from", "sloth", "api.yaml", "-o", "nowhere/"], 2, "-o nowhere/: names a folder"),
    (["generate", "prometheus", "slos/", "-o", "empty"], 2, "'empty': it is a folder; give the path"),
    (["simulate", "--example", "mtogo", "--days", "0.01", "--out", "random.txt/sim"], 1, "cannot write"),
    (["simulate", "--example", "mtogo", "--days", "-1", "--out", "s"], 2, "more than 0"),
    (["ingest", "events.jsonl", "--stream", "api", "--spec", "empty", "--store", "x.duckdb"], 1, "no *.yaml"),
]


@pytest.fixture
def bad_files(in_copy: Path) -> Path:
    (in_copy / "empty").mkdir()
    (in_copy / "random.txt").write_text("hello\n")
    (in_copy / "broken.yaml").write_text(
        "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: Bad_Name\nspec:\n  service: x\n"
    )
    con = duckdb.connect(str(in_copy / "other.duckdb"))
    con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    shutil.copy(in_copy / "mtogo.duckdb", in_copy / "newer.duckdb")
    con = duckdb.connect(str(in_copy / "newer.duckdb"))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    return in_copy


@pytest.mark.parametrize(("args", "code", "message"), BAD_INPUT, ids=lambda v: str(v)[:60])
def test_bad_input(args: list[str], code: int, message: str, bad_files: Path) -> None:
    result = invoke(args)
    no_traceback(result)
    assert result.exit_code == code, result.stderr
    assert message in " ".join(result.stderr.split()), result.stderr
    assert result.stdout == "" or code == 0


def test_store_held_by_another_process(bad_files: Path) -> None:
    """A store another process writes (a running server): say so, and what to do instead."""
    shutil.copy(bad_files / "mtogo.duckdb", bad_files / "held.duckdb")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_STORE, str(bad_files / "held.duckdb")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        result = invoke(["gate", "examples/mtogo", "--store", "held.duckdb"])
    finally:
        holder.kill()
        holder.wait()
    no_traceback(result)
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert "another process (a running slokit serve, or an ingest) has held.duckdb open" in message
    assert "GET /api/v1/slos" in message


HOLD_STORE = (
    "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('holding', flush=True); time.sleep(60)"
)


def test_fmt_check_says_why_a_commented_file_is_not_canonical(in_copy: Path) -> None:
    """fmt leaves files with comments alone, so --check says what it would take to pass."""
    spec = in_copy / "commented"
    spec.mkdir()
    (spec / "a.yaml").write_text("# owned by the checkout team\n" + (in_copy / "slo.yaml").read_text())
    result = invoke(["fmt", "--check", "commented"])
    assert result.exit_code == 1
    assert "would reformat commented/a.yaml (it has comments: fmt rewrites it only with --drop-comments)" in (
        result.stdout
    )
    left_alone = invoke(["fmt", "commented"])
    assert left_alone.exit_code == 1  # as its help says: a file with comments was left alone
    assert "skipped commented/a.yaml: it has comments" in left_alone.stderr
    assert (spec / "a.yaml").read_text().startswith("# owned by")
    assert invoke(["fmt", "--drop-comments", "commented"]).exit_code == 0
    assert invoke(["fmt", "--check", "commented"]).exit_code == 0


# --- interrupts ---------------------------------------------------------------------------------


def test_interrupt_inside_duckdb_is_recognised() -> None:
    interrupted = RuntimeError("Query interrupted")
    try:
        try:
            raise interrupted
        except RuntimeError:
            raise ValueError("cannot rollback - no transaction is active") from None
    except ValueError as cleanup_failed:
        # `from None` hides the context from tracebacks but keeps it on the object.
        assert is_interrupt(cleanup_failed)
    assert is_interrupt(KeyboardInterrupt())
    wrapped = duckdb.InvalidInputException(
        "reading the Arrow source as Arrow data failed: KeyboardInterrupt: "
    )
    assert is_interrupt(wrapped)
    assert not is_interrupt(duckdb.InvalidInputException("reading the Arrow source failed: bad column"))
    assert not is_interrupt(RuntimeError("something else"))
    assert not is_interrupt(ValueError("x"))


def test_interrupt_during_a_command_exits_130(in_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import slokit.cli.gate

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("Query interrupted")

    monkeypatch.setattr(slokit.cli.gate, "evaluate_all", interrupted)
    result = invoke(["gate", "examples/mtogo", "--store", "mtogo.duckdb"])
    assert result.exit_code == 130
    assert "interrupted" in result.stderr
    no_traceback(result)


SIMULATE_30_DAYS = ("simulate", "--example", "mtogo", "--days", "30", "--out")


def test_ctrl_c_during_simulate(tmp_path: Path) -> None:
    """A real SIGINT in the middle of a 30-day simulation: exit 130 (or death by SIGINT), no traceback."""
    process = subprocess.Popen(
        [sys.executable, "-m", "slokit.cli.main", *SIMULATE_30_DAYS, str(tmp_path / "sim")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    time.sleep(2.5)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode in (130, -signal.SIGINT), err.decode()
    assert b"Traceback" not in err


def test_os_errors_are_messages(in_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that cannot be written (here: a full disk) is a message and exit 1."""
    import slokit.cli.listing

    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device", "out.yaml")

    monkeypatch.setattr(slokit.cli.listing, "emit", disk_full)
    result = invoke(["list", "examples/mtogo"])
    assert result.exit_code == 1
    assert "out.yaml: No space left on device (the disk is full" in result.stderr
    no_traceback(result)


# --- the seed documents, measured end to end --------------------------------------------------


@pytest.mark.parametrize(("example", "store"), [("mtogo", "mtogo.duckdb"), ("cnc-quote", "cnc.duckdb")])
def test_every_seed_slo_is_measured(
    example: str, store: str, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One simulated day of each example: every SLO and objective has a measured status."""
    monkeypatch.chdir(workspace)
    result = invoke(["report", f"examples/{example}", "--store", store, "--at", END, "--output", "json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    listed = json.loads(invoke(["list", f"examples/{example}", "--output", "json"]).stdout)
    assert {r["name"] for r in report} == {r["name"] for r in listed}
    unmeasured = [
        (r["name"], o["index"])
        for r in report
        for o in r["objectives"]
        if r["status"] == "no data" or o["status"] == "no data" or o["sli"] is None or not o["valid"]
    ]
    assert unmeasured == []
    assert all(r["status"] in ("ok", "burning", "exhausted") for r in report)


def test_mistyped_command_gets_a_suggestion() -> None:
    result = invoke(["reprot"])
    assert result.exit_code == 2
    assert "No such command 'reprot'. Did you mean 'report'?" in result.stderr
    result = invoke(["import", "dco", "SLO.md"])
    assert result.exit_code == 2
    assert "Did you mean 'doc'?" in result.stderr


@pytest.mark.parametrize("args", [["list", "examples/", "--output", "json"], ["list", "examples/"]])
def test_closed_pipe_stops_quietly(args: list[str]) -> None:
    """`slokit list ... | head`: the reader is gone; exit 1 without a traceback or a message."""
    process = subprocess.Popen(
        [sys.executable, "-m", "slokit.cli.main", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(timeout=60) == 1
    assert err == b""


def readme_commands(readme: Path) -> list[str]:
    """The `$ slokit ...` lines of a README, in order, without trailing comments."""
    lines = readme.read_text(encoding="utf-8").splitlines()
    return [line[2:].split("  #")[0].strip() for line in lines if line.startswith("$ slokit ")]


@pytest.mark.parametrize("example", ["mtogo", "cnc-quote"])
def test_example_readme_commands_run(example: str, in_copy: Path) -> None:
    """Each example's README commands, in order as a reader types them; its report measures every SLO."""
    for name in SHARED:  # the README writes these: never into the shared workspace
        if name != "examples":
            (in_copy / name).unlink()
    commands = readme_commands(REPO / "examples" / example / "README.md")
    assert [c.split()[1] for c in commands] == ["validate", "budget", "simulate", "ingest", "report"]
    for command in commands:
        result = invoke(_words(command)[1:])
        no_traceback(result)
        assert result.exit_code == 0, (command, result.stderr)
    report = json.loads(invoke([*_words(commands[-1])[1:], "--output", "json"]).stdout)
    assert report and [r["name"] for r in report if r["status"] == "no data"] == []


def test_simulate_hint_runs_as_written(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """simulate's "next:" lines (stderr, not stdout) ingest and report the range it wrote."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").symlink_to(workspace / "examples")
    result = invoke(["simulate", "--example", "mtogo", "--days", "0.1", "--end", END, "--out", "hint"])
    assert result.exit_code == 0, result.stderr
    assert "next:" not in result.stdout
    hint = result.stderr[result.stderr.index("next:") :].replace("next:", "").splitlines()
    commands = [line.strip() for line in hint if line.strip().startswith("slokit ")]
    assert len(commands) == 2 and commands[1].endswith(f"--at {END}")
    for command in commands:
        step = invoke(_words(command)[1:])
        no_traceback(step)
        assert step.exit_code == 0, (command, step.stderr)


def test_tables_into_a_pipe_keep_names_whole(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`slokit list examples/ | grep NAME` finds every SLO: no cell is folded at 80 columns."""
    monkeypatch.chdir(workspace)
    monkeypatch.delenv("COLUMNS", raising=False)
    result = CliRunner().invoke(cli, ["list", "examples/"], prog_name="slokit")
    assert result.exit_code == 0
    names = [r["name"] for r in json.loads(invoke(["list", "examples/", "--output", "json"]).stdout)]
    assert len(names) == 55
    lines = result.stdout.splitlines()
    for name in names:
        assert any(f" {name} " in line for line in lines), name
