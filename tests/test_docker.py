"""The Docker demo (Dockerfile + docker-compose.yml, see docs/docker.md) builds, starts with
PostgreSQL, serves the admin and answers a query.

Runs only where a Docker engine answers (``docker info`` succeeds) and Compose is
installed; elsewhere it is skipped and the reason is printed in the summary (``-rs``). It
uses its own Compose project name and port, a small seed, and removes its containers and
volume at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def compose_command() -> tuple[list[str] | None, str]:
    """The Compose command line, or None and why Docker cannot be used here."""
    docker = shutil.which("docker")
    if docker is None:
        return None, "the docker command is not installed"
    info = subprocess.run([docker, "info"], capture_output=True, text=True, check=False)
    if info.returncode != 0:
        detail = (info.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"`docker info` failed, no Docker engine answers: {detail}"
    plugin = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, check=False
    )
    if plugin.returncode == 0:
        return [docker, "compose"], ""
    standalone = shutil.which("docker-compose")
    if standalone:
        return [standalone], ""
    return None, "Docker Compose is not installed (neither `docker compose` nor docker-compose)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


COMPOSE, WHY_NOT = compose_command()
pytestmark = pytest.mark.skipif(COMPOSE is None, reason=f"Docker demo not tested: {WHY_NOT}")


def test_demo_builds_starts_and_answers() -> None:
    assert COMPOSE is not None
    port = free_port()
    project = f"djai-test-{os.getpid()}"
    env = {**os.environ, "DJAI_DEMO_PORT": str(port), "DJAI_DEMO_SCALE": "0.02"}
    compose = [*COMPOSE, "-p", project, "-f", str(ROOT / "docker-compose.yml")]

    def run(*args: str, timeout: int = 900) -> str:
        proc = subprocess.run(
            [*compose, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert proc.returncode == 0, f"{' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
        return proc.stdout

    try:
        run("up", "--build", "--detach", "--wait", "--wait-timeout", "600")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=10) as page:
            assert page.status == 200
            assert b"Django" in page.read()
        output = run(
            "exec", "-T", "web", "python", "manage.py", "djai", "query",
            "from shop.order aggregate n = count()", "--json",
        )  # fmt: skip
        assert json.loads(output)["result"]["rows"][0][0] > 0
    finally:
        subprocess.run(
            [*compose, "down", "--volumes", "--remove-orphans"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=300,
            check=False,
        )
