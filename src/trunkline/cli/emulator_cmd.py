"""``trunkline emulator babelforce|callrail``: run a service emulator in the foreground."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from trunkline.cli.state import console
from trunkline.emulators.common.fault_profile import FaultProfile, parse_fault_spec

app = typer.Typer(help="Run the built-in service emulators (real HTTP, no account needed).",
                  no_args_is_help=True)

Size = Literal["small", "large"]
FaultsOption = Annotated[str | None, typer.Option(
    "--faults", help="Random faults, e.g. rate=0.1,kinds=429,500,503,timeout,reset,slow,truncated "
                     "(also methods=POST,…; retry_after=, slow=, hold= seconds; see docs/emulators.md).")]
FaultSeedOption = Annotated[int | None, typer.Option("--fault-seed", help="Seed of the fault draws (default 0).")]


def _fault_profile(spec: str | None, seed: int | None) -> FaultProfile | None:
    """The ``--faults`` profile, or None; a bad spec is a clear parameter error."""
    if spec is None:
        return None
    try:
        return parse_fault_spec(spec, seed=seed)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--faults") from None


def _print_faults(profile: FaultProfile | None, exempt: str) -> None:
    if profile is not None:
        methods = "/".join(profile.methods) + " " if profile.methods else ""
        console.print(f"  random faults: {profile.rate:.0%} of {methods}requests ({', '.join(profile.kinds)}), "
                      f"seed {profile.seed}; {exempt}exempt")


@app.command("babelforce")
def babelforce(
    port: Annotated[int, typer.Option(help="Port to listen on (0 = any free port).")] = 8080,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    seed: Annotated[int, typer.Option(help="Seed of the generated data: the same seed gives the same data.")] = 0,
    size: Annotated[str, typer.Option(help="Dataset size: small or large.")] = "small",
    faults: FaultsOption = None,
    fault_seed: FaultSeedOption = None,
) -> None:
    """Serve the Babelforce API emulator until interrupted (Ctrl-C)."""
    from trunkline.emulators.babelforce.app import create_app
    from trunkline.emulators.server import bind, serve

    if size not in ("small", "large"):
        raise typer.BadParameter("use small or large", param_hint="--size")
    profile = _fault_profile(faults, fault_seed)
    try:
        sock = bind(host, port)
    except OSError as error:
        raise typer.BadParameter(f"cannot listen on {host}:{port}: {error.strerror}; pick another port "
                                 "or --port 0 for a free one", param_hint="--port") from error
    app_ = create_app(seed=seed, size=size, faults=profile)
    credentials = app_.state.credentials
    bound_host, bound_port = sock.getsockname()[:2]
    console.print(f"Babelforce emulator on http://{bound_host}:{bound_port} (seed {seed}, {size} data)")
    console.print(f"  OAuth2 password grant: username {credentials.username} password {credentials.password}")
    console.print(f"  access headers: X-Auth-Access-Id {credentials.access_id} "
                  f"X-Auth-Access-Token {credentials.access_token}")
    _print_faults(profile, "/oauth/token and /_emulator/ ")
    console.print("  test controls under /_emulator/ (see docs/emulators.md); Ctrl-C stops")
    serve(app_, sock)


@app.command("callrail")
def callrail(
    port: Annotated[int, typer.Option(help="Port to listen on (0 = any free port).")] = 8081,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    seed: Annotated[int, typer.Option(help="Seed of the generated data: the same seed gives the same data.")] = 0,
    faults: FaultsOption = None,
    fault_seed: FaultSeedOption = None,
) -> None:
    """Serve the CallRail API v3 emulator until interrupted (Ctrl-C)."""
    from trunkline.emulators.callrail.app import create_app
    from trunkline.emulators.server import bind, serve

    profile = _fault_profile(faults, fault_seed)

    try:
        sock = bind(host, port)
    except OSError as error:
        raise typer.BadParameter(f"cannot listen on {host}:{port}: {error.strerror}; pick another port "
                                 "or --port 0 for a free one", param_hint="--port") from error
    app_ = create_app(seed=seed, faults=profile)
    credentials = app_.state.credentials
    bound_host, bound_port = sock.getsockname()[:2]
    console.print(f"CallRail emulator on http://{bound_host}:{bound_port} (seed {seed})")
    console.print(f"  API key {credentials.api_key}")
    console.print(f"  send it as: Authorization: Token token=\"{credentials.api_key}\"")
    console.print(f"  account {credentials.account_id} (numeric {credentials.numeric_account_id})")
    _print_faults(profile, "/_emulator/ ")
    console.print("  test controls under /_emulator/ (see docs/emulators.md); Ctrl-C stops")
    serve(app_, sock)
