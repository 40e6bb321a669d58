"""hive.aio against a live daemon: the same surface as the sync client, with await / async for."""
from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

import hive
import hive.aio
from _daemon import TestDaemon


def test_async_surface_get_or_create_exec_streaming_files_config_events_errors(daemon: TestDaemon):
    async def main() -> dict[str, Any]:
        out: dict[str, Any] = {}
        async with daemon.aclient() as client:
            sandbox = await client.get_or_create_sandbox("aio", {"image": "hive/minimal", "env": {"GREETING": "hi"}})
            out["created"] = (sandbox.created, (await client.get_or_create_sandbox("aio", {})).created)
            out["plain"] = await sandbox.exec(["/bin/sh", "-c", 'echo "$GREETING"; cat; exit 2'], stdin="in\n")
            chunks: list[str] = []
            started = time.monotonic()
            first_at = 0.0

            async def on_out(c: str) -> None:
                nonlocal first_at
                first_at = first_at or time.monotonic()
                chunks.append(c)

            out["streamed"] = await sandbox.exec("echo a; sleep 0.8; echo b", on_stdout=on_out)
            out["early"] = time.monotonic() - first_at
            out["chunks"] = chunks
            async with await sandbox.exec_stream("echo x; echo y >&2") as run:
                out["iterated"] = [(o.stream, o.data) async for o in run]
            out["iterated_result"] = run.result
            await sandbox.files.write("/workspace/a.txt", "héllo")
            out["read"] = await sandbox.files.read_text("/workspace/a.txt")
            out["list"] = [e.name for e in await sandbox.files.list("/workspace")]
            applied = await sandbox.apply_config({**(await sandbox.get_config()), "egress": [{"access": "allow", "host": "*"}]})
            out["applied"] = applied
            last = (await sandbox.get_events(after=0, limit=10_000))[-1].id
            async with sandbox.events(types="exec.*", after=last) as stream:
                await sandbox.exec("true")
                out["live"] = [(await stream.__anext__()).type, (await stream.__anext__()).type]
            try:
                await client.get_sandbox("nope")
            except hive.NotFoundError as e:
                out["missing"] = e
            try:
                await sandbox.apply_config({"image": "hive/minimal", "egress": [{"access": "allow", "host": ""}]})
            except hive.ValidationError as e:
                out["invalid"] = e
            out["names"] = [s.name for s in await client.list_sandboxes()]
            await sandbox.shutdown()
            try:
                await client.get_sandbox("aio")
            except hive.NotFoundError:
                out["gone"] = True
        return out

    out = asyncio.run(main())
    assert out["created"] == (True, False)
    assert (out["plain"].exit_code, out["plain"].stdout) == (2, "hi\nin\n")
    assert out["chunks"] == ["a\n", "b\n"] and out["streamed"].stdout == "a\nb\n"
    assert out["early"] >= 0.5, "the first chunk came before the command finished"
    assert out["iterated"] == [("stdout", "x\n"), ("stderr", "y\n")] and out["iterated_result"].exit_code == 0
    assert out["read"] == "héllo" and "a.txt" in out["list"]
    assert out["applied"].applied and out["applied"].config["egress"] == [{"access": "allow", "host": "*"}]
    assert out["live"] == ["exec.request", "exec.response"]
    assert out["missing"].status == 404
    assert [e.path for e in out["invalid"].errors] == ["egress[0].host"]
    assert "aio" in out["names"] and out["gone"]


def test_the_default_async_client_works_across_event_loops(daemon: TestDaemon, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HIVE_URL", daemon.url)
    monkeypatch.setenv("HIVE_TOKEN", daemon.token)
    hive.aio.set_default_client(None)
    try:
        # Two asyncio.run calls: the second loop cannot use the first one's pooled connections.
        assert asyncio.run(hive.aio.health())["status"] == "ok"
        assert asyncio.run(hive.aio.health())["status"] == "ok"
    finally:
        hive.aio.set_default_client(None)
