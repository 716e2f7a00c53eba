"""``trunkline credentials``: stored by name, secrets encrypted, never printed."""

from __future__ import annotations

import json

from tests.cli.run import run_cli

SECRET = "pw-Zq8x!secret-value-41"


def test_add_list_remove_never_shows_the_secret(tmp_path):
    home = str(tmp_path / "home")
    env = {"TRUNKLINE_HOME": home, "MY_BF_PASSWORD": SECRET}
    added = run_cli("credentials", "add", "bf-eu", "--service", "babelforce", "--environment", "services",
                    "--username", "ops@example.com", "--password", "${MY_BF_PASSWORD}", env=env)
    listed = run_cli("credentials", "list", "--json", env=env)
    rows = json.loads(listed.stdout)
    assert rows[0]["name"] == "bf-eu" and rows[0]["password"] == "****"
    table = run_cli("credentials", "list", env=env, columns=200)
    assert "bf-eu" in table.stdout
    for output in (added.stdout, added.stderr, listed.stdout, table.stdout):
        assert SECRET not in output
    stored = b"".join(path.read_bytes() for path in (tmp_path / "home").iterdir() if path.is_file())
    assert SECRET.encode() not in stored
    run_cli("credentials", "remove", "bf-eu", env=env)
    assert json.loads(run_cli("credentials", "list", "--json", env=env).stdout) == []


def test_secret_from_stdin(tmp_path):
    env = {"TRUNKLINE_HOME": str(tmp_path)}
    run_cli("credentials", "add", "k", "--base-url", "https://api.example.com", "--token", "-", env=env,
            input_text=SECRET + "\n")
    assert json.loads(run_cli("credentials", "list", "--json", env=env).stdout)[0]["token"] == "****"


def test_duplicate_name_and_bad_values_are_clear_errors(tmp_path):
    env = {"TRUNKLINE_HOME": str(tmp_path)}
    run_cli("credentials", "add", "x", "--base-url", "https://a.example.com", "--token", "t1", env=env)
    again = run_cli("credentials", "add", "x", "--base-url", "https://a.example.com", "--token", "t2", env=env,
                    expect_exit=1)
    assert "--replace" in again.stderr
    bad_url = run_cli("credentials", "add", "y", "--base-url", "ftp://a", env=env, expect_exit=2)
    assert "credential.base_url" in bad_url.stderr and "http" in bad_url.stderr
    missing = run_cli("credentials", "remove", "nope", env=env, expect_exit=1)
    assert "nope" in missing.stderr
