"""The ``slokit`` command group.

Subcommands live in their own modules and are imported only when used, so ``slokit --help``
and quick commands stay fast even when a heavy command imports numpy or DuckDB.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import gc
import importlib
import importlib.util
import os
import sys
from typing import Any

import click

from slokit import __version__
from slokit.errors import SlokitError

#: command name -> (module, attribute, one-line help shown by ``slokit --help``)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "validate": ("slokit.cli.validate", "validate", "Check SLO specs; every problem with file:line:column."),
    "list": ("slokit.cli.listing", "list_command", "Table of the SLOs in a spec."),
    "fmt": ("slokit.cli.fmt", "fmt", "Rewrite specs as canonical YAML (idempotent)."),
    "budget": ("slokit.cli.budget", "budget", "Error budget a target allows, as time and events."),
    "convert": ("slokit.cli.convert", "convert", "Convert Sloth specs to OpenSLO."),
    "import": ("slokit.cli.importdoc", "import_group", "Import SLOs from Markdown SLO documents."),
    "lint": ("slokit.cli.importdoc", "lint_group", "Find contradictions and gaps in SLO documents."),
    "ingest": ("slokit.cli.ingest", "ingest", "Ingest events into the embedded store."),
    "generate": (
        "slokit.cli.generate",
        "generate",
        "Generate Prometheus rules (native, Sloth-compatible, VictoriaMetrics).",
    ),
    "simulate": ("slokit.cli.simulate", "simulate", "Generate realistic events for the example platforms."),
    "report": ("slokit.cli.report", "report", "The state of every SLO: SLI, budget, burn rates, forecast."),
    "serve": (
        "slokit.cli.serve",
        "serve",
        "Serve the ingest API, SLO API, alert evaluator and web dashboard.",
    ),
    "demo": ("slokit.cli.demo", "demo", "A live dashboard of the example platforms with simulated traffic."),
    "backtest": ("slokit.cli.backtest", "backtest", "Replay history through alert policies and score them."),
    "gate": ("slokit.cli.gate", "gate", "Exit non-zero when an error-budget policy blocks deploys."),
}


class LazyGroup(click.Group):
    """Loads a subcommand's module on first use and turns SlokitError into a clean message."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if self._available(name)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attr, _ = entry
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None
            raise
        except KeyboardInterrupt:
            # Ctrl-C while a heavy command module is still importing: same exit as during the work.
            click.echo("slokit: interrupted", err=True)
            ctx.exit(130)
        if not gc.isenabled():  # main() turned it off for the imports: everything loaded is for good
            gc.freeze()
            gc.enable()
            # ...until exit: frozen objects are never collected, and extension modules that
            # count their live objects at shutdown (DuckDB's) would print "leaked" reports
            atexit.register(gc.unfreeze)
        command = getattr(module, attr)
        assert isinstance(command, click.Command)
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """As click's, but a mistyped name gets a "Did you mean" from the lazily loaded names."""
        try:
            return super().resolve_command(ctx, args)
        except click.NoSuchCommand as exc:
            raise click.NoSuchCommand(
                exc.command_name, possibilities=self.list_commands(ctx), ctx=ctx
            ) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SlokitError as exc:
            click.secho(f"slokit: {exc}", fg="red", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("slokit: interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # The reader went away (`slokit report --output json | head`): stop quietly, as rich
            # does for tables, with stdout pointed at /dev/null so the final flush cannot fail.
            with contextlib.suppress(OSError, ValueError):  # ValueError: stdout is not a file
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(1)
        except OSError as exc:
            # A file the user named cannot be read or written (permissions, a full disk, a file
            # where a folder belongs): say which and why instead of a traceback.
            click.secho(f"slokit: {describe_os_error(exc)}", fg="red", err=True)
            ctx.exit(1)
        except Exception as exc:
            if not is_interrupt(exc):
                raise
            click.echo("slokit: interrupted", err=True)
            ctx.exit(130)

    @staticmethod
    def _available(name: str) -> bool:
        return importlib.util.find_spec(COMMANDS[name][0]) is not None


@click.group(
    cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, prog_name="slokit")
def cli() -> None:
    """slokit turns written SLOs into measured ones.

    \b
    Start here:
      slokit demo                        live dashboard of the example platforms
      slokit validate examples/          check specs, every problem with its location
      slokit budget --target 99.9 --window 1M
                                         how much downtime 99.9 % allows in a month
    \b
    Measure your own:
      slokit import doc SLO.md -o slos/  SLOs out of a Markdown document
      slokit ingest events.jsonl --stream api --spec slos/ --store slo.duckdb
      slokit report slos/ --store slo.duckdb
      slokit serve --spec slos/ --store slo.duckdb

    Exit codes: 0 success, 1 invalid input or a failed check, 2 wrong usage.
    """


def describe_os_error(exc: OSError) -> str:
    """``path: reason`` for an operating-system error, with what to do about the usual ones."""
    reason = exc.strerror or str(exc)
    where = f"{exc.filename}: " if exc.filename is not None else ""
    hints = {
        errno.EACCES: "check the permissions or choose another path",
        errno.EROFS: "the file system is read-only; choose another path",
        errno.ENOSPC: "the disk is full; free space or choose another path",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
        errno.EISDIR: "give a file name, not a folder",
        errno.ENOENT: "check the path",
    }
    hint = hints.get(exc.errno or 0)
    return f"{where}{reason}" + (f" ({hint})" if hint else "")


def is_interrupt(exc: BaseException) -> bool:
    """Whether ``exc`` is Ctrl-C arriving inside a DuckDB query.

    DuckDB consumes the SIGINT and raises its own error instead of KeyboardInterrupt, so the
    user would see a traceback for pressing Ctrl-C. Recognised by type name and message so that
    this module need not import DuckDB (``slokit --help`` stays fast). Cleanup after the
    interrupted query can fail in turn (a rollback with no transaction left), so the chain of
    causes is searched too.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, KeyboardInterrupt) or type(current).__name__ == "InterruptException":
            return True
        if isinstance(current, RuntimeError) and str(current).strip().lower() == "query interrupted":
            return True
        if type(current).__module__.lstrip("_").startswith("duckdb") and "KeyboardInterrupt" in str(current):
            return True  # Ctrl-C inside a Python callback DuckDB was running (an Arrow reader)
        current = current.__cause__ or current.__context__
    return False


def main() -> None:
    # A command's imports (numpy, click, the spec model...) make objects that live until exit;
    # the cyclic collector would walk them over and over while they load and find nothing
    # (15-20 ms of a report's start). It is off while the command module loads, then on again
    # with those objects frozen out of its way (LazyGroup.get_command).
    gc.disable()
    try:
        cli(prog_name="slokit")
    finally:
        gc.enable()


if __name__ == "__main__":  # pragma: no cover
    main()
