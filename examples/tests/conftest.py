"""Fixtures for the examples' end-to-end tests: a loopback server that answers like the Anthropic API, and a
live daemon (with the real hive/base image: curl and the MCP server) whose proxy dials it for api.anthropic.com."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "sdk" / "python" / "src"))
sys.path.insert(0, str(REPO / "sdk" / "python" / "tests"))  # the SDK tests' TestDaemon

from _daemon import TestDaemon  # noqa: E402
from fake_anthropic import HOST, FakeAnthropic  # noqa: E402

# What the secret really holds: it must reach the fake API and never the sandbox, the agent or an event.
REAL_KEY = "sk-ant-api03-" + "REALKEYexamplesTEST" * 4 + "-xyzAA"


@pytest.fixture(scope="session")
def fake_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeAnthropic]:
    server = FakeAnthropic(tmp_path_factory.mktemp("fake-anthropic"), REAL_KEY)
    yield server
    server.close()


@pytest.fixture(scope="session")
def daemon(fake_api: FakeAnthropic) -> Iterator[TestDaemon]:
    d = TestDaemon.start(base_image=True, upstream={
        "hosts": {HOST: "127.0.0.1"}, "allowPrivate": ["127.0.0.0/8"], "caBundle": str(fake_api.ca_pem)})
    yield d
    d.stop()
