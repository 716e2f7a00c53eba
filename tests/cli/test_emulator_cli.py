"""``trunkline emulator babelforce``: a user starts it in a terminal and points sources at it."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import httpx

from tests.cli.run import run_cli


def test_emulator_serves_on_the_port_it_prints_and_takes_the_printed_login():
    environment = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "trunkline", "emulator", "babelforce", "--port", "0",
                                "--seed", "5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=environment)
    try:
        banner = process.stdout.readline() + process.stdout.readline()
        base_url = re.search(r"on (http://127\.0\.0\.1:\d+)", banner).group(1)
        username, password = re.search(r"username (\S+) password (\S+)", banner).groups()
        token = httpx.post(f"{base_url}/oauth/token", timeout=10,
                           data={"grant_type": "password", "username": username, "password": password})
        assert token.status_code == 200
        agents = httpx.get(f"{base_url}/api/v2/agents", timeout=10,
                           headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        assert agents.status_code == 200 and agents.json()["pagination"]["total"] > 0
        assert httpx.get(f"{base_url}/api/v2/agents", timeout=10).status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_port_in_use_is_a_clear_error(babelforce_emulator):
    result = run_cli("emulator", "babelforce", "--port", str(babelforce_emulator.port), expect_exit=2)
    assert f"cannot listen on 127.0.0.1:{babelforce_emulator.port}" in result.stderr
    assert "--port 0" in result.stderr


def test_faults_from_the_command_line_fail_the_api_but_not_the_login():
    environment = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "trunkline", "emulator", "babelforce", "--port", "0",
                                "--faults", "rate=1,kinds=503", "--fault-seed", "9"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
    try:
        banner = "".join(process.stdout.readline() for _ in range(4))
        assert "random faults: 100% of requests (503), seed 9; /oauth/token and /_emulator/ exempt" in banner
        base_url = re.search(r"on (http://127\.0\.0\.1:\d+)", banner).group(1)
        username, password = re.search(r"username (\S+) password (\S+)", banner).groups()
        token = httpx.post(f"{base_url}/oauth/token", timeout=10,
                           data={"grant_type": "password", "username": username, "password": password})
        assert token.status_code == 200
        agents = httpx.get(f"{base_url}/api/v2/agents", timeout=10,
                           headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        assert agents.status_code == 503
        assert httpx.get(f"{base_url}/_emulator/fault-profile", timeout=10).json()["injected"] == {"503": 1}
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_bad_fault_spec_is_a_clear_error():
    result = run_cli("emulator", "callrail", "--port", "0", "--faults", "rate=0.1,kinds=418", expect_exit=2)
    assert "--faults" in result.stderr and "unknown fault kind '418'" in result.stderr
