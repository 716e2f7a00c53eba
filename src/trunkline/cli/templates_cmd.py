"""``trunkline templates [--service S] [--kind K]`` and ``trunkline templates show SERVICE.ID``."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from trunkline.cli.state import console, print_json
from trunkline.connectors import registry
from trunkline.connectors.templates import Template

app = typer.Typer(help="List the ready endpoint templates and show one's parameters.",
                  invoke_without_command=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _listing(service: str | None, kind: str | None) -> list[tuple[str, str, Template]]:
    services = [registry.get_service(service)] if service else registry.services()
    kinds = [kind] if kind else list(registry.KINDS)
    return [(spec.name, each_kind, template) for spec in services for each_kind in kinds
            for template in registry.templates(spec.name, each_kind)]


@app.callback()
def list_templates(
    ctx: typer.Context,
    service: Annotated[str | None, typer.Option(help="Only this service (babelforce, callrail, …).")] = None,
    kind: Annotated[str | None, typer.Option(help="source or destination.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List templates: id, the name the product docs use, kind and endpoint."""
    if ctx.invoked_subcommand is not None:
        return
    if kind is not None and kind not in registry.KINDS:
        raise typer.BadParameter(f"use one of: {', '.join(registry.KINDS)}", param_hint="--kind")
    rows = _listing(service, kind)
    if as_json:
        print_json([{"id": f"{svc}.{t.id}", "name": t.name, "service": svc, "kind": k, "method": t.method,
                     "path": t.path} for svc, k, t in rows])
        return
    table = Table(title=f"{len(rows)} templates", title_justify="left")
    table.add_column("id", no_wrap=True)
    table.add_column("name")
    table.add_column("kind")
    table.add_column("endpoint", overflow="fold")
    for svc, each_kind, template in rows:
        table.add_row(f"{svc}.{template.id}", template.name, each_kind, f"{template.method} {template.path}")
    console.print(table)


def template_details(service: str, kind: str, template: Template) -> dict[str, Any]:
    """Everything a user needs to configure a template (``templates show``)."""
    return {
        "id": f"{service}.{template.id}",
        "name": template.name,
        "service": service,
        "kind": kind,
        "description": template.description,
        "method": template.method,
        "path": template.path,
        "seed_path": template.seed_path,
        "documented_by": template.documented_by,
        "notes": template.notes,
        "query": template.query,
        "params": [param.model_dump(exclude_none=True) for param in template.params],
        "pagination": template.pagination.model_dump(),
        "path_to_data": template.path_to_data,
        "path_to_metadata": template.path_to_metadata,
    }


@app.command("show")
def show(
    ref: Annotated[str, typer.Argument(help="SERVICE.ID, e.g. babelforce.list_call_records.")],
    as_json: JsonFlag = False,
) -> None:
    """Show a template's parameters, HTTP method and path, pagination and path to data."""
    template = registry.get_template(ref)
    service = template.service or "rest"
    kind = next(k for k in registry.KINDS if template in registry.templates(service, k))
    details = template_details(service, kind, template)
    if as_json:
        print_json(details)
        return
    console.print(f"[bold]{details['id']}[/bold] — {template.name} ({kind})")
    console.print(template.description)
    console.print(f"[bold]{template.method}[/bold] {template.path}"
                  + (f"   [dim](seed: {template.seed_path})[/dim]" if template.seed_path else ""))
    if template.notes:
        console.print(f"[dim]{template.notes}[/dim]")
    params = Table("parameter", "required", "type", "description", title="Parameters", title_justify="left")
    for param in template.params:
        params.add_row(param.name, "yes" if param.required else "no",
                       param.type + (f" ({param.wire_format} on the wire)" if param.wire_format else ""),
                       param.description)
    console.print(params if template.params else "Parameters: none")
    console.print(f"Pagination: {_describe_pagination(details['pagination'])}")
    console.print(f"Path to data: {template.path_to_data or '(whole response)'}")
    if template.query:
        console.print(f"Query: {template.query}")


def _describe_pagination(pagination: dict[str, Any]) -> str:
    kind = pagination.get("type")
    rest = ", ".join(f"{key}={value}" for key, value in pagination.items() if key != "type" and value is not None)
    return f"{kind} ({rest})" if rest else str(kind)
