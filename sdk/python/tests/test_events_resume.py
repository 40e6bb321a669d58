"""The event stream survives a daemon crash: kill -9 mid-stream, restart on the same home, and the iterator
continues with every event exactly once. Its own daemon (the session's one must not be killed)."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

import hive
import hive.aio
from _daemon import TestDaemon, eventually, free_port


def test_events_resume_after_kill_9_and_restart_no_duplicates_no_gaps(crash_daemon: TestDaemon):
    daemon = crash_daemon
    client = daemon.client()
    sandbox = client.get_or_create_sandbox("ev", {"image": "hive/minimal"})

    # Stream A is pulled continuously (in a thread): it is retrying while the daemon is down.
    a: list[hive.Event] = []
    stream_a = sandbox.events()
    consumer = threading.Thread(target=lambda: a.extend(stream_a))
    consumer.start()
    # Stream B (only exec events, across all sandboxes) is not pulled while the daemon is down: the events
    # appended after the restart reach it only through the resume.
    stream_b = client.events(types="exec.*")
    b: list[hive.Event] = []

    def pull_b(until) -> None:
        deadline = time.monotonic() + 20
        while True:
            assert time.monotonic() < deadline, "stream B did not deliver the expected event in time"
            b.append(next(stream_b))
            if until(b[-1]):
                return

    try:
        assert sandbox.exec("echo one").stdout == "one\n"
        eventually(lambda: any(e.type == "exec.response" for e in a), "stream A to see the first exec")
        pull_b(lambda e: e.type == "exec.response")
        before_crash = a[-1].id

        daemon.kill9()
        time.sleep(0.7)  # stream A fails to reconnect a few times meanwhile
        daemon.restart()

        # Appended while stream B is disconnected.
        assert sandbox.exec(["sh", "-c", "echo two"]).stdout == "two\n"
        pull_b(lambda e: e.type == "exec.response" and e.id > before_crash)
        eventually(lambda: any(e.type == "exec.response" and e.id > before_crash for e in a), "stream A to resume", 20)

        # And live again after the resume.
        sandbox.exec("echo three")
        pull_b(lambda e: e.type == "exec.response" and len([x for x in b if x.type == "exec.response"]) >= 3)
        log = sandbox.get_events(after=0, limit=10_000)
        eventually(lambda: len(a) >= len(log), "stream A to see every stored event")
    finally:
        stream_a.close()
        consumer.join(10)
        stream_b.close()
        client.close()

    assert not consumer.is_alive()
    assert [e.id for e in a] == [e.id for e in log], "stream A = the stored log, in order, each event once"
    exec_log = client.get_events(after=0, types="exec.*", limit=10_000)
    assert [e.id for e in b] == [e.id for e in exec_log], "stream B = the stored exec events, in order, each once"
    assert all(x.id < y.id for x, y in zip(a, a[1:])), "ids strictly increase"
    assert stream_a.last_event_id == log[-1].id
    assert any(e.id > before_crash and e.type == "exec.request" for e in log), "events after the crash are in the log"


def test_async_events_resume_after_kill_9_and_restart(crash_daemon: TestDaemon):
    daemon = crash_daemon

    async def main() -> tuple[list[int], list[int], int]:
        async with daemon.aclient() as client:
            sandbox = await client.get_or_create_sandbox("ev-aio", {"image": "hive/minimal"})
            seen: list[hive.Event] = []
            stream = sandbox.events()

            async def consume() -> None:
                async for e in stream:
                    seen.append(e)

            task = asyncio.create_task(consume())
            await sandbox.exec("echo one")
            while not any(e.type == "exec.response" for e in seen):
                await asyncio.sleep(0.05)
            before = seen[-1].id
            await asyncio.get_running_loop().run_in_executor(None, daemon.kill9)
            await asyncio.sleep(0.7)
            await asyncio.get_running_loop().run_in_executor(None, daemon.restart)
            await sandbox.exec("echo two")
            log = await sandbox.get_events(after=0, limit=10_000)
            for _ in range(400):
                if len(seen) >= len(log):
                    break
                await asyncio.sleep(0.05)
            stream.close()
            await asyncio.wait_for(task, 10)
            return [e.id for e in seen], [e.id for e in log], before

    seen, log, before = asyncio.run(main())
    assert seen == log, "the async stream = the stored log, each event once"
    assert log[-1] > before


def test_a_stream_to_a_daemon_that_is_not_running_fails_at_once_with_unavailable_error():
    dead = hive.Hive(f"http://127.0.0.1:{free_port()}", "x")
    with pytest.raises(hive.UnavailableError):
        next(dead.events())
