"""``trunkline emulator babelforce|callrail``: run a service emulator in the foreground."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from trunkline.cli.state import console

app = typer.Typer(help="Run the built-in service emulators (real HTTP, no account needed).",
                  no_args_is_help=True)

Size = Literal["small", "large"]


@app.command("babelforce")
def babelforce(
    port: Annotated[int, typer.Option(help="Port to listen on (0 = any free port).")] = 8080,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    seed: Annotated[int, typer.Option(help="Seed of the generated data: the same seed gives the same data.")] = 0,
    size: Annotated[str, typer.Option(help="Dataset size: small or large.")] = "small",
) -> None:
    """Serve the Babelforce API emulator until interrupted (Ctrl-C)."""
    from trunkline.emulators.babelforce.app import create_app
    from trunkline.emulators.server import bind, serve

    if size not in ("small", "large"):
        raise typer.BadParameter("use small or large", param_hint="--size")
    try:
        sock = bind(host, port)
    except OSError as error:
        raise typer.BadParameter(f"cannot listen on {host}:{port}: {error.strerror}; pick another port "
                                 "or --port 0 for a free one", param_hint="--port") from error
    app_ = create_app(seed=seed, size=size)
    credentials = app_.state.credentials
    bound_host, bound_port = sock.getsockname()[:2]
    console.print(f"Babelforce emulator on http://{bound_host}:{bound_port} (seed {seed}, {size} data)")
    console.print(f"  OAuth2 password grant: username {credentials.username} password {credentials.password}")
    console.print(f"  access headers: X-Auth-Access-Id {credentials.access_id} "
                  f"X-Auth-Access-Token {credentials.access_token}")
    console.print("  test controls under /_emulator/ (see docs/emulators.md); Ctrl-C stops")
    serve(app_, sock)


@app.command("callrail")
def callrail(
    port: Annotated[int, typer.Option(help="Port to listen on (0 = any free port).")] = 8081,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    seed: Annotated[int, typer.Option(help="Seed of the generated data: the same seed gives the same data.")] = 0,
) -> None:
    """Serve the CallRail API v3 emulator until interrupted (Ctrl-C)."""
    from trunkline.emulators.callrail.app import create_app
    from trunkline.emulators.server import bind, serve

    try:
        sock = bind(host, port)
    except OSError as error:
        raise typer.BadParameter(f"cannot listen on {host}:{port}: {error.strerror}; pick another port "
                                 "or --port 0 for a free one", param_hint="--port") from error
    app_ = create_app(seed=seed)
    credentials = app_.state.credentials
    bound_host, bound_port = sock.getsockname()[:2]
    console.print(f"CallRail emulator on http://{bound_host}:{bound_port} (seed {seed})")
    console.print(f"  API key {credentials.api_key}")
    console.print(f"  send it as: Authorization: Token token=\"{credentials.api_key}\"")
    console.print(f"  account {credentials.account_id} (numeric {credentials.numeric_account_id})")
    console.print("  test controls under /_emulator/ (see docs/emulators.md); Ctrl-C stops")
    serve(app_, sock)
