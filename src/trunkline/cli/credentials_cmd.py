"""``trunkline credentials add|list|remove``: named credentials, secrets encrypted at rest.

Secret options accept ``${VAR}`` (quote it so the shell leaves it alone: ``--password '${BF_PASSWORD}'``)
or ``-`` to read the value from standard input, so secrets stay out of shell history.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from trunkline.cli.state import console, print_json, state_of
from trunkline.connectors.resolve import resolve_credential
from trunkline.core.yamlfile import expand_env
from trunkline.store.credentials import CredentialStore
from trunkline.store.home import resolve_home

app = typer.Typer(help="Store credentials by name (secrets encrypted) and use them as `credential: NAME`.",
                  no_args_is_help=True)

SECRET_HELP = "Secret: a value, '${ENV_VAR}', or '-' to read it from stdin."


def _store(ctx: typer.Context) -> CredentialStore:
    return CredentialStore(resolve_home(state_of(ctx).home))


def _secret(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    if value == "-":
        return sys.stdin.readline().rstrip("\n")
    return expand_env(value, f"credentials.{option}")


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The name sources use: credential: NAME.")],
    service: Annotated[str, typer.Option(help="babelforce, callrail or rest.")] = "rest",
    base_url: Annotated[str | None, typer.Option(help="The API's base URL.")] = None,
    environment: Annotated[str | None, typer.Option(help="Babelforce environment: services, us-east, …")] = None,
    username: Annotated[str | None, typer.Option(help="OAuth2 password grant user.")] = None,
    password: Annotated[str | None, typer.Option(help=SECRET_HELP)] = None,
    client_id: Annotated[str | None, typer.Option(help="OAuth2 client id (optional).")] = None,
    access_id: Annotated[str | None, typer.Option(help="Babelforce access id.")] = None,
    access_token: Annotated[str | None, typer.Option(help=SECRET_HELP)] = None,
    token: Annotated[str | None, typer.Option(help=SECRET_HELP)] = None,
    api_key: Annotated[str | None, typer.Option(help=SECRET_HELP)] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite a credential of the same name.")] = False,
) -> None:
    """Add (or with --replace, overwrite) a named credential."""
    fields = {
        "service": service, "base_url": base_url, "environment": environment, "username": username,
        "password": _secret(password, "password"), "client_id": client_id, "access_id": access_id,
        "access_token": _secret(access_token, "access_token"), "token": _secret(token, "token"),
        "api_key": _secret(api_key, "api_key"),
    }
    fields = {key: value for key, value in fields.items() if value is not None}
    resolve_credential(fields)  # validate before storing: the same rules as a source's inline credential
    _store(ctx).add(name, fields, replace=replace)
    console.print(f"stored credential [bold]{name}[/bold] ({service}); secrets are encrypted at rest")


@app.command("list")
def list_(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List stored credentials (secrets masked)."""
    rows = _store(ctx).list()
    if as_json:
        print_json(rows)
        return
    table = Table("name", "service", "where", "auth fields", "created")
    for row in rows:
        where = row.get("base_url") or row.get("environment") or ""
        fields = ", ".join(sorted(k for k in row if k not in {"name", "service", "base_url", "environment",
                                                               "created_at", "updated_at"}))
        table.add_row(row["name"], row.get("service", ""), where, fields, row.get("created_at", ""))
    console.print(table)


@app.command("remove")
def remove(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The credential to delete.")]) -> None:
    """Delete a stored credential."""
    _store(ctx).remove(name)
    console.print(f"removed credential [bold]{name}[/bold]")
