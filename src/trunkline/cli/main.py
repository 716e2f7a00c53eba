"""The ``trunkline`` command: global options, sub-command wiring and error reporting.

Every command is thin: it parses input, calls the engine and renders the result. A
:class:`TrunklineError` is printed as one clear message (no traceback) and exits with 2 for a
configuration problem, 1 for anything else; ``--debug`` shows the traceback too.
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from trunkline import __version__
from trunkline.cli import (
    credentials_cmd,
    demo_cmd,
    destination_cmd,
    emulator_cmd,
    flow_cmd,
    nexset_cmd,
    source_cmd,
    templates_cmd,
)
from trunkline.cli.state import CliState
from trunkline.core.errors import ConfigError, TrunklineError

app = typer.Typer(
    name="trunkline",
    help="Move contact-center data between Babelforce, CallRail and where your data lives.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.add_typer(templates_cmd.app, name="templates")
app.add_typer(source_cmd.app, name="source")
app.add_typer(destination_cmd.app, name="destination")
app.add_typer(nexset_cmd.app, name="nexset")
app.add_typer(flow_cmd.flow_app, name="flow")
app.add_typer(flow_cmd.dead_app, name="deadletters")
app.command("serve")(flow_cmd.serve_command)
app.command("scheduler", help="Same as serve: run active flows on their schedules.")(flow_cmd.serve_command)
app.add_typer(credentials_cmd.app, name="credentials")
app.add_typer(emulator_cmd.app, name="emulator")
app.command(name="demo")(demo_cmd.demo)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"trunkline {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option(
        "--home", envvar="TRUNKLINE_HOME", help="State directory (credentials, runs). Default ~/.trunkline.",
    )] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log HTTP retries and warnings.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Global options, available before any command."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s",
                        stream=sys.stderr)
    ctx.obj = CliState(home=home, debug=debug)


_INTERRUPTED = 130
_received: list[int] = []
"""The stop signal received (SIGTERM), if any: typer turns the interruption it raises into exit code 130."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM, handled as Ctrl-C is: every run in progress gives up cleanly (no partial file, no half table)."""
    _received.append(signum)
    raise KeyboardInterrupt


def main() -> None:
    """Entry point of the ``trunkline`` console script."""
    debug = "--debug" in sys.argv
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = app(standalone_mode=False)  # a command's typer.Exit(n) comes back as n here; Ctrl-C as 130
        if _received:
            typer.secho("terminated", err=True)
            sys.exit(128 + _received[0])
        if code == _INTERRUPTED:
            typer.secho("interrupted", err=True)
        if isinstance(code, int) and code:
            sys.exit(code)
    except TrunklineError as error:
        if debug:
            raise
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        sys.exit(2 if isinstance(error, ConfigError) else 1)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        typer.secho("aborted", err=True)
        sys.exit(_INTERRUPTED)
    except KeyboardInterrupt:
        typer.secho("terminated" if _received else "interrupted", err=True)
        sys.exit(128 + _received[0] if _received else _INTERRUPTED)
    except typer.TyperException as error:  # usage errors: bad options, bad parameter values
        show = getattr(error, "show", None)
        if callable(show):
            show()
        else:
            typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        sys.exit(getattr(error, "exit_code", 2))
    except Exception as error:  # anything unexpected
        if debug:
            raise
        typer.secho(f"internal error: {type(error).__name__}: {error} (run with --debug for details)",
                    fg=typer.colors.RED, err=True)
        sys.exit(3)
