"""``trunkline demo``: README's first command, run as a newcomer runs it."""

from __future__ import annotations

import re

from tests.cli.run import run_cli


def test_demo_fetches_agents_call_records_and_leads_and_shows_them(tmp_path):
    workdir = tmp_path / "demo"
    result = run_cli("demo", "--workdir", str(workdir), env={"TRUNKLINE_HOME": str(tmp_path / "home")}, columns=200)
    text = " ".join(result.stdout.split())
    counts = dict(re.findall(r"done (\S+) → \S+: ([\d,]+) records", text))
    assert set(counts) == {"agents", "call-records", "leads"}
    for name, count in counts.items():
        lines = (workdir / f"{name}.jsonl").read_text().splitlines()
        assert len(lines) == int(count.replace(",", "")) > 0, name
    assert re.search(r"leads .*: [\d,]+ records, \d+ pages, \d+ requests \(0 retried\), ([2-9]|\d\d+) lookups", text)
    for source in ("agents.yaml", "call-records.yaml", "leads.yaml"):
        assert (workdir / source).is_file()
        assert "password: ${" in (workdir / source).read_text()  # the secret comes from the environment


def test_demo_runs_the_two_flows_and_shows_their_results_every_time_it_runs(tmp_path):
    workdir = tmp_path / "demo"
    for _ in range(2):  # a second run meets a new emulator: nothing of the first run's state may leak into it
        result = run_cli("demo", "--workdir", str(workdir), env={"TRUNKLINE_HOME": str(tmp_path / "home")},
                         columns=200)
        text = " ".join(result.stdout.split())
        assert "flow calls-to-duckdb" in text and "flow leads-to-dialer" in text
        calls = re.search(r"succeeded: fetched (\d+) records in [45] window\(s\) → duckdb:calls: \1 records", text)
        assert calls is not None and int(calls.group(1)) > 0
        assert "dialer: 25 records, 25 acknowledged" in text
        assert "now holds 25 CRM leads" in text
        assert "GROUP BY type, state" in text
        for name in ("calls-to-duckdb.yaml", "leads-to-dialer.yaml", "crm-leads.csv", "warehouse.duckdb"):
            assert (workdir / name).is_file()
    assert not (tmp_path / "home").exists()  # the user's own home is left alone
