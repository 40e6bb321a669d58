"""The reference snippets with ``hive.aio``: the TypeScript calls awaited the same way in Python
(``await getOrCreateSandbox(...)`` -> ``await hive.aio.get_or_create_sandbox(...)``), against a live daemon.
Each test runs its own ``asyncio.run``: the default async client follows the event loop it is used on."""
from __future__ import annotations

import asyncio
import os
from typing import Any, Awaitable, Callable, Iterator, TypeVar

import pytest

import hive
import hive.aio
from _daemon import TestDaemon
from _servers import LoopbackServer
from test_snippets import FAKE_ENV

T = TypeVar("T")


def run(main: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(main())  # type: ignore[arg-type]


@pytest.fixture(scope="module", autouse=True)
def default_client(daemon: TestDaemon) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update({"HIVE_URL": daemon.url, "HIVE_TOKEN": daemon.token, **FAKE_ENV})
    hive.aio.set_default_client(None)
    yield
    hive.aio.set_default_client(None)
    os.environ.clear()
    os.environ.update(saved)


async def fresh(*names: str) -> None:
    for name in names:
        try:
            await hive.aio.delete_sandbox(name)
        except hive.NotFoundError:
            pass


async def fetch(sandbox: hive.aio.AsyncSandbox, url: str, *wget_args: str) -> bool:
    return (await sandbox.exec(["wget", "-q", "-O", "-", *wget_args, url], timeout_ms=30_000)).exit_code == 0


def test_000_1_env_and_a_custom_image():
    async def main() -> Any:
        await fresh("my-sandbox")
        sandbox = await hive.aio.get_or_create_sandbox("my-sandbox", {
            "image": "hive/claude-code:latest",
            "env": {
                "ANTHROPIC_API_KEY": os.environ["ANTHROPIC_API_KEY"],
                "GITHUB_TOKEN": os.environ["GITHUB_TOKEN"],
            },
            "fs": [{"backend": "local", "mount": "/workspace", "acls": [{"path": "/workspace/**", "access": "rw"}]}],
            "egress": [{"access": "allow", "host": "api.anthropic.com"}],
        })
        return sandbox, await sandbox.exec('echo "$ANTHROPIC_API_KEY"')

    sandbox, r = run(main)
    assert sandbox.created is True and sandbox.config["image"] == "hive/claude-code:latest"
    assert r.stdout == FAKE_ENV["ANTHROPIC_API_KEY"] + "\n"


def test_000_3_and_001_6_override_values_reach_the_upstream_and_read_back_redacted(upstream: LoopbackServer):
    async def main() -> Any:
        await fresh("my-sandbox")
        sandbox = await hive.aio.get_or_create_sandbox("my-sandbox", {
            "fs": [{"backend": "local", "mount": "/workspace", "acls": [{"path": "/workspace/**", "access": "rw"}]}],
            "egress": [{
                "access": "allow",
                "host": "api.finnhub.io",
                "override": {
                    "headers": {"X-Finnhub-Token": os.environ["FINNHUB_API_KEY"]},
                },
            }],
        })
        return await sandbox.get_config(), await fetch(sandbox, f"http://api.finnhub.io:{upstream.port}/api/v1/quote")

    config, ok = run(main)
    assert config["egress"][0]["override"]["headers"]["X-Finnhub-Token"] == "***"
    assert ok and upstream.last.headers["x-finnhub-token"] == FAKE_ENV["FINNHUB_API_KEY"]


def test_001_1_3_no_rules_then_rules_narrowed_by_port_method_and_path():
    async def main() -> Any:
        await fresh("my-sandbox", "my-sandbox-2")
        sandbox = await hive.aio.get_or_create_sandbox("my-sandbox", {
            "fs": [{"backend": "local", "mount": "/workspace", "acls": [{"path": "/workspace/**", "access": "rw"}]}],
        })
        narrowed = await hive.aio.get_or_create_sandbox("my-sandbox-2", {
            "fs": [{"backend": "local", "mount": "/workspace", "acls": [{"path": "/workspace/**", "access": "rw"}]}],
            "egress": [
                {"access": "allow", "host": "api.anthropic.com"},
                {"access": "allow", "host": "pypi.org", "ports": [443]},
                {"access": "allow", "host": "api.github.com", "methods": ["GET", "POST"]},
                {"access": "allow", "host": "api.example.com", "paths": ["/v1/*"]},
            ],
        })
        return (await sandbox.get_config())["egress"], (await narrowed.get_config())["egress"]

    none, narrowed = run(main)
    assert none == []
    assert [r["host"] for r in narrowed] == ["api.anthropic.com", "pypi.org", "api.github.com", "api.example.com"]


def test_001_7_apply_config_with_the_current_config_and_new_egress_rules():
    async def main() -> Any:
        await fresh("my-sandbox")
        sandbox = await hive.aio.get_or_create_sandbox("my-sandbox", {"egress": [{"access": "allow", "host": "*"}], "ttl": 600})
        await sandbox.apply_config({
            **(await sandbox.get_config()),
            "egress": [
                {"access": "allow", "host": "api.anthropic.com"},
            ],
        })
        return await sandbox.get_config()

    config = run(main)
    assert config["egress"] == [{"access": "allow", "host": "api.anthropic.com"}] and config["ttl"] == 600


def test_001_8_async_for_over_the_event_stream_prints_each_blocked_request_once(daemon: TestDaemon, upstream: LoopbackServer, capsys):
    async def main() -> None:
        await fresh("egress-watch-aio")
        client = daemon.aclient()
        sandbox = await client.get_or_create_sandbox("egress-watch-aio", {"egress": [{"access": "allow", "host": "api.github.com", "methods": ["GET"]}]})

        async def loop() -> None:
            async for event in sandbox.get_events_stream():
                if event.type == "egress.request" and event.access == "denied":
                    print("blocked:", event.host, event.method, event.path)

        task = asyncio.create_task(loop())
        assert await fetch(sandbox, f"http://api.github.com:{upstream.port}/repos/x")
        assert not await fetch(sandbox, f"http://api.github.com:{upstream.port}/repos/x", "--post-data=x")
        for _ in range(200):
            await asyncio.sleep(0.05)
            printed.append(capsys.readouterr().out)
            if "blocked:" in "".join(printed):
                break
        else:
            raise AssertionError("the blocked request was not printed")
        await asyncio.sleep(0.5)
        await client.aclose()  # the loop ends (normally) when the client is closed
        await asyncio.wait_for(task, 10)

    printed: list[str] = []
    run(main)
    printed.append(capsys.readouterr().out)
    assert "".join(printed) == "blocked: api.github.com POST /repos/x\n"


def test_003_secret_create_and_004_custom_image_and_grouped_egress(daemon: TestDaemon):
    async def main() -> Any:
        await hive.aio.Secret.create(
            name="anthropic-prod-aio",
            value=os.environ.get("ANTHROPIC_API_KEY"),
            provider="anthropic",
        )
        names = [s["name"] for s in await hive.aio.Secret.list()]
        await hive.aio.Secret.delete("anthropic-prod-aio")
        await fresh("my-sandbox")
        grouped = await hive.aio.get_or_create_sandbox("my-sandbox", {
            "egress": {"allow": [{"host": "api.github.com", "methods": ["GET"], "paths": ["/repos/*"]}]},
        })
        egress = (await grouped.get_config())["egress"]
        await fresh("my-sandbox")
        custom = await hive.aio.get_or_create_sandbox("my-sandbox", {
            "image": "custom-node-hive-bundle:latest",
            # the rest
        })
        return names, egress, custom

    names, egress, custom = run(main)
    assert "anthropic-prod-aio" in names
    assert egress == [{"access": "allow", "host": "api.github.com", "methods": ["GET"], "paths": ["/repos/*"]}]
    assert custom.url == f"{daemon.url}/sandboxes/my-sandbox/" and custom.config["image"] == "custom-node-hive-bundle:latest"
