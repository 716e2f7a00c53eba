"""The demo's two flows: Babelforce call records into DuckDB (incremental), and a CSV of CRM leads
upserted into a Babelforce outbound list. Written as YAML files a newcomer can read and rerun."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

DEMO_LEADS = 25


def write_demo_flows(folder: Path, credential: dict[str, Any], list_id: str, now: datetime | None = None
                     ) -> list[Path]:
    """Write the flow files, the destination file and the leads CSV; return the two flow files."""
    moment = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    _write(folder / "calls-source.yaml", {"credential": credential, "template": "list_call_records"})
    _write(folder / "calls-to-duckdb.yaml", {
        "name": "calls-to-duckdb",
        "source": "calls-source.yaml",
        "incremental": {"cursor": "dateCreated", "start": (moment - timedelta(days=1)).isoformat(),
                        "window": "6 hours"},
        "transforms": [{"exclude": ["recordings"]}],
        "destinations": [{"type": "duckdb", "path": "warehouse.duckdb", "table": "calls", "mode": "merge",
                          "key": "id"}],
    })
    with (folder / "crm-leads.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["uid", "number", "rank", "customer"])
        writer.writeheader()
        for n in range(DEMO_LEADS):
            writer.writerow({"uid": f"crm-{7000 + n}", "number": f"030 {5550100 + n}", "rank": 100 - n,
                             "customer": f"Customer {n + 1}"})
    _write(folder / "dialer-destination.yaml", {
        "credential": credential, "template": "add_outbound_lead", "params": {"list_id": list_id},
        "mode": "upsert", "default_region": "DE",
    })
    _write(folder / "leads-to-dialer.yaml", {
        "name": "leads-to-dialer",
        "source": {"type": "file", "path": "crm-leads.csv"},
        "transforms": [{"compute": {"data": {"customer": "{customer}"}}}, {"exclude": ["customer"]}],
        "destinations": [{"type": "api", "destination": "dialer-destination.yaml", "key": "uid", "name": "dialer"}],
    })
    return [folder / "calls-to-duckdb.yaml", folder / "leads-to-dialer.yaml"]


def _write(path: Path, content: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
