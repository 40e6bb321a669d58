"""Fixtures: one live daemon for the whole session (each test module names its own sandboxes), a loopback
upstream that the reference snippets' hosts point at, and the package imported from src/ unless installed."""
from __future__ import annotations

import os
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest

if os.environ.get("HIVE_PY_TEST_INSTALLED") != "1":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from _daemon import TestDaemon  # noqa: E402
from _servers import LoopbackServer, answer, start_server  # noqa: E402

# Every host the reference snippets name. The daemon dials them at 127.0.0.1 (upstream.hosts): nothing a test does
# can leave this machine, and a request the proxy forwards lands on the loopback upstream below.
SNIPPET_HOSTS = ["api.anthropic.com", "api.github.com", "pypi.org", "api.example.com", "api.finnhub.io", "github.com"]

# Images the snippets name, provided as copies of hive/minimal.
SNIPPET_IMAGES = ["hive/base", "hive/claude-code:latest", "custom-node-hive-bundle:latest"]


@pytest.fixture(scope="session")
def upstream() -> Iterator[LoopbackServer]:
    """A plain-HTTP upstream on loopback: records each request and answers 200 with its path."""
    server = start_server(lambda req, h: answer(h, 200, f"upstream saw {req.method} {req.url}\n"))
    yield server
    server.close()


@pytest.fixture(scope="session")
def _daemons(request: pytest.FixtureRequest, upstream: LoopbackServer) -> Iterator[dict[str, Future[TestDaemon]]]:
    """Starts the session's daemon and, when a collected test needs one, the daemon that a test may crash, at the
    same time (each start builds an image and waits for health: most of the suite's fixed cost)."""
    pool = ThreadPoolExecutor(2)
    futures = {"session": pool.submit(
        TestDaemon.start,
        images=SNIPPET_IMAGES,
        upstream={"hosts": {h: "127.0.0.1" for h in SNIPPET_HOSTS}, "allowPrivate": ["127.0.0.0/8"]},
    )}
    if any("crash_daemon" in item.fixturenames for item in request.session.items):
        futures["crash"] = pool.submit(TestDaemon.start)
    try:
        yield futures
    finally:
        for future in futures.values():
            try:
                future.result().stop()
            except Exception:  # noqa: BLE001 - a start that failed has cleaned up after itself and failed its tests
                pass
        pool.shutdown()


@pytest.fixture(scope="session")
def daemon(_daemons: dict[str, Future[TestDaemon]]) -> TestDaemon:
    """The session's daemon: hive/minimal plus the snippets' image names, the snippets' hosts on loopback."""
    return _daemons["session"].result()


@pytest.fixture(scope="session")
def crash_daemon(_daemons: dict[str, Future[TestDaemon]]) -> TestDaemon:
    """A daemon of its own for tests that kill -9 and restart it (the session's one must not be killed)."""
    return _daemons["crash"].result()
