"""Client-side behaviour that a live daemon cannot provoke on demand, against a local fake of its HTTP API:
problem+json mapping (409 included), request shapes, the SSE parser, stream resume and idle reconnect,
connection settings from the environment. The same behaviours against live daemons: the other test files."""
from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator
from unittest import mock

import pytest

import hive
import hive.aio
from hive import _protocol
from _servers import LoopbackServer, json_answer, problem, sandbox_info, sse_event, start_server, start_sse

FakeHandler = Callable[..., None]


@pytest.fixture
def fake() -> Iterator[Callable[[FakeHandler], LoopbackServer]]:
    servers: list[LoopbackServer] = []

    def make(handler: FakeHandler) -> LoopbackServer:
        s = start_server(handler)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.close()


def test_apply_config_409_is_a_conflict_error_carrying_the_problem_details(fake):
    def handler(req, h):
        if req.method == "PUT" and req.url == "/v1/sandboxes/s1":
            return json_answer(h, 201, sandbox_info(f.url, "s1"))
        problem(h, 409, "Conflict", 'another config apply for sandbox "s1" is in progress; retry when it finishes')

    f = fake(handler)
    sandbox = hive.Hive(f.url, "t").get_or_create_sandbox("s1", {})
    assert sandbox.created is True
    with pytest.raises(hive.ConflictError) as caught:
        sandbox.apply_config({"egress": []})
    err = caught.value
    assert isinstance(err, hive.HiveError) and isinstance(err, Exception)
    assert (err.status, err.title, err.type) == (409, "Conflict", "https://hive.dev/problems/409")
    assert err.detail == str(err) == err.message == 'another config apply for sandbox "s1" is in progress; retry when it finishes'
    assert err.errors == []
    assert (f.last.method, f.last.url) == ("PUT", "/v1/sandboxes/s1/config")


STATUS_CASES = [
    # status, body, content type, error class, text the message contains
    (400, {"title": "Invalid configuration", "status": 400, "detail": "egress[0].host: is required",
           "errors": [{"path": "egress[0].host", "message": "is required"}]}, "application/problem+json", hive.ValidationError, "egress[0].host: is required"),
    (422, {"title": "Immutable field changed", "status": 422, "detail": "image: cannot change"}, "application/problem+json", hive.ValidationError, "image: cannot change"),
    (401, {"title": "Unauthorized", "detail": "missing or wrong bearer token"}, "application/problem+json", hive.AuthError, "missing or wrong bearer token"),
    (403, {"title": "Forbidden"}, "application/problem+json", hive.AuthError, "Forbidden"),
    (404, {"title": "Not found", "detail": 'sandbox "x" does not exist'}, "application/problem+json", hive.NotFoundError, 'sandbox "x" does not exist'),
    (409, {"title": "Conflict", "detail": "busy"}, "application/problem+json", hive.ConflictError, "busy"),
    (500, {"title": "Internal error", "detail": "boom"}, "application/problem+json", hive.HiveError, "boom"),
    (503, "daemon is shutting down", "text/plain", hive.UnavailableError, "daemon is shutting down"),
    (502, "<html>bad gateway</html>", "text/html", hive.UnavailableError, "answered 502"),
]


@pytest.mark.parametrize("status,body,content_type,cls,message", STATUS_CASES, ids=[str(c[0]) for c in STATUS_CASES])
def test_every_status_maps_to_its_error_class_sync_and_async(fake, status, body, content_type, cls, message):
    from _servers import answer

    f = fake(lambda req, h: answer(h, status, body if isinstance(body, str) else json.dumps(body), content_type))
    with pytest.raises(hive.HiveError) as sync_err:
        hive.Hive(f.url, "t").list_sandboxes()

    async def run() -> None:
        async with hive.aio.AsyncHive(f.url, "t") as client:
            await client.list_sandboxes()

    with pytest.raises(hive.HiveError) as async_err:
        asyncio.run(run())
    for err in (sync_err.value, async_err.value):
        assert type(err) is cls
        assert err.status == status
        assert message in str(err)


def test_validation_errors_carry_each_field_path(fake):
    f = fake(lambda req, h: problem(h, 400, "Invalid configuration", "2 errors", [
        {"path": "fs[0].mount", "message": "must be absolute"}, {"path": "ttl", "message": "must be ≥ 0"}]))
    with pytest.raises(hive.ValidationError) as caught:
        hive.Hive(f.url, "t").get_or_create_sandbox("x", {})
    assert caught.value.errors == [hive.FieldError("fs[0].mount", "must be absolute"), hive.FieldError("ttl", "must be ≥ 0")]


def test_a_401_without_any_token_says_where_the_token_comes_from(fake, tmp_path: Path):
    f = fake(lambda req, h: problem(h, 401, "Unauthorized", "missing or wrong bearer token"))
    c = hive.Connection(f.url, token_file=str(tmp_path / "token"))
    with pytest.raises(hive.AuthError, match=r"No token was found: set HIVE_TOKEN, or run as a user who can read .*/token"):
        c.json("GET", "/v1/sandboxes")
    assert "authorization" not in f.requests[0].headers
    # The token file is read on use once it exists (a client made before the daemon's first start).
    (tmp_path / "token").write_text("late-token\n")
    with pytest.raises(hive.AuthError):
        c.json("GET", "/v1/sandboxes")
    assert f.requests[1].headers["authorization"] == "Bearer late-token"


def test_request_shapes_get_or_create_exec_files_events_page(fake):
    def handler(req, h):
        if req.url == "/v1/sandboxes/my%20box":
            return json_answer(h, 200, sandbox_info("", "my box"))
        if req.url.endswith("/exec"):
            return json_answer(h, 200, {"exitCode": 0, "stdout": "x", "stderr": "", "durationMs": 1})
        if "/files/" in req.url:
            if req.method == "GET":
                from _servers import answer
                return answer(h, 200, "data", "application/octet-stream")
            return json_answer(h, 204, None)
        if "/events" in req.url:
            return json_answer(h, 200, [])
        json_answer(h, 404, {})

    f = fake(handler)
    client = hive.Hive(f.url + "/", " tok ")
    assert client.url == f.url
    s = client.get_or_create_sandbox("my box", {"egress": {"allow": [{"host": "api.github.com"}]}})
    assert s.created is False
    assert s.url == f"{f.url}/sandboxes/my%20box/", "a relative sandbox url is made absolute"
    r = f.last
    assert (r.method, r.headers["authorization"], r.headers["content-type"]) == ("PUT", "Bearer tok", "application/json")
    assert json.loads(r.body) == {"egress": {"allow": [{"host": "api.github.com"}]}}

    result = s.exec(["ls", "-la"], cwd="/workspace")
    assert result == hive.ExecResult(exit_code=0, stdout="x", stderr="", duration_ms=1, timed_out=False)
    r = f.last
    assert (r.method, r.url, r.headers["accept"]) == ("POST", "/v1/sandboxes/my%20box/exec", "application/json")
    assert json.loads(r.body) == {"command": ["ls", "-la"], "cwd": "/workspace"}
    s.exec("echo hi", env={"A": "1"}, stdin="in", timeout_ms=5)
    assert json.loads(f.last.body) == {"command": "echo hi", "env": {"A": "1"}, "stdin": "in", "timeoutMs": 5}

    s.files.write("/workspace/a b/c#d.txt", "hi")
    r = f.last
    assert (r.method, r.url, r.headers["content-type"], r.body) == ("PUT", "/v1/sandboxes/my%20box/files/workspace/a%20b/c%23d.txt", "application/octet-stream", "hi")
    assert s.files.read_text("/workspace/x") == "data"
    s.files.delete("/workspace/x")
    assert f.last.method == "DELETE"

    s.get_events(types=["egress.*", "fs.request"], after=3, limit=2)
    assert f.last.url == "/v1/sandboxes/my%20box/events?follow=false&types=egress.*%2Cfs.request&after=3&limit=2"
    client.get_events()
    assert f.last.url == "/v1/events?follow=false"


def test_exec_refuses_an_empty_command_before_sending(fake):
    f = fake(lambda req, h: json_answer(h, 200, sandbox_info("", "s")))
    s = hive.Hive(f.url, "t").get_sandbox("s")
    sent = len(f.requests)
    for bad in ("", "  ", [], [1]):
        with pytest.raises(ValueError, match="exec needs a command"):
            s.exec(bad)  # type: ignore[arg-type]
    assert len(f.requests) == sent


def _exec_server(fake, mode: dict[str, str]) -> LoopbackServer:
    def handler(req, h):
        if req.url == "/v1/sandboxes/s":
            return json_answer(h, 200, sandbox_info("", "s"))
        start_sse(h)
        h.wfile.write(b'event: stdout\ndata: {"data":"a"}\n\nevent: stderr\ndata: {"data":"b"}\n\n')
        if mode["mode"] == "ok":
            h.wfile.write(b'event: stdout\r\ndata: {"data":"c"}\r\n\r\nevent: exit\ndata: {"exitCode":7,"durationMs":5,"timedOut":false}\n\n')
        if mode["mode"] == "error":
            h.wfile.write(b'event: error\ndata: {"status":404,"title":"Not found","detail":"sandbox \\"s\\" does not exist"}\n\n')

    return fake(handler)


def test_exec_streaming_frames_in_order_error_frames_typed_a_cut_stream_an_error(fake):
    mode = {"mode": "ok"}
    f = _exec_server(fake, mode)
    sandbox = hive.Hive(f.url, "t").get_sandbox("s")
    seen: list[str] = []
    r = sandbox.exec("x", on_stdout=lambda c: seen.append("out:" + c), on_stderr=lambda c: seen.append("err:" + c))
    assert seen == ["out:a", "err:b", "out:c"]
    assert r == hive.ExecResult(exit_code=7, stdout="ac", stderr="b", duration_ms=5, timed_out=False)
    assert f.last.headers["accept"] == "text/event-stream"
    # The iterator form.
    with sandbox.exec_stream("x") as run:
        assert [(o.stream, o.data) for o in run] == [("stdout", "a"), ("stderr", "b"), ("stdout", "c")]
    assert run.result.exit_code == 7
    mode["mode"] = "error"
    with pytest.raises(hive.NotFoundError):
        sandbox.exec("x", on_stdout=lambda c: None)
    mode["mode"] = "cut"
    with pytest.raises(hive.HiveError, match="ended before the command's exit status arrived"):
        sandbox.exec("x", on_stdout=lambda c: None)
    mode["mode"] = "ok"

    def boom(_: str) -> None:
        raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError, match="callback failed"):
        sandbox.exec("x", on_stdout=boom)


def test_async_exec_streaming_awaits_coroutine_callbacks(fake):
    f = _exec_server(fake, {"mode": "ok"})

    async def run() -> tuple[list[str], hive.ExecResult, list[str]]:
        async with hive.aio.AsyncHive(f.url, "t") as client:
            sandbox = await client.get_sandbox("s")
            seen: list[str] = []

            async def out(c: str) -> None:
                await asyncio.sleep(0)
                seen.append("out:" + c)

            r = await sandbox.exec("x", on_stdout=out, on_stderr=lambda c: seen.append("err:" + c))
            stream = await sandbox.exec_stream("x")
            chunks = [o.data async for o in stream]
            return seen, r, chunks

    seen, r, chunks = asyncio.run(run())
    assert seen == ["out:a", "err:b", "out:c"]
    assert r.stdout == "ac" and r.stderr == "b" and r.exit_code == 7
    assert chunks == ["a", "b", "c"]


def test_sse_parser_cr_lf_crlf_split_chunks_comments_multiline_ids_retry():
    p = hive.SseParser()
    frames: list[hive.SseFrame] = []
    text = ": hello\r\nid: 1\r\nevent: a\r\ndata: x\r\ndata:  y\r\n\r\nid: 2\rdata: z\r\rdata\n\nevent: lone\n\nretry: 1500\nid\n: c\ndata: é\n\n"
    # Fed one byte at a time: every split point, inside CRLF and inside the two bytes of é.
    for b in text.encode():
        frames.extend(p.feed_bytes(bytes([b])))
    assert frames == [
        hive.SseFrame("a", "x\n y", "1"),
        hive.SseFrame("message", "z", "2"),
        hive.SseFrame("message", "", "2"),
        hive.SseFrame("message", "é", ""),
    ]
    assert p.retry == 1500


def _ev(i: int, type_: str = "exec.request", **extra: Any) -> dict[str, Any]:
    return {"id": i, "ts": "2026-01-01T00:00:00Z", "sandbox": "s", "type": type_, **extra}


def _events_server(fake, script: Callable[[int, Any, Any], None]) -> LoopbackServer:
    attempts = {"n": 0}

    def handler(req, h):
        if req.url.startswith("/v1/sandboxes/s/events"):
            n = attempts["n"]
            attempts["n"] += 1
            return script(n, req, h)
        if req.url == "/v1/sandboxes/s":
            return json_answer(h, 200, sandbox_info("", "s"))
        json_answer(h, 404, {})

    return fake(handler)


def _resume_script(attempt: int, req: Any, h: Any) -> None:
    if attempt == 0:
        start_sse(h)
        for i in (1, 2, 3):
            sse_event(h, _ev(i))
        h.wfile.write(b'id: 4\nevent: exec.request\ndata: {"id":4,')  # half an event, then the connection breaks
        h.wfile.flush()
        h.close_connection = True
    elif attempt == 1:
        problem(h, 503, "Unavailable", "starting")
    else:
        start_sse(h)
        for i in (2, 3, 4, 5):  # a daemon that repeats: the client drops repeats
            sse_event(h, _ev(i))
        time.sleep(0.5)


def _check_resume_requests(f: LoopbackServer) -> None:
    attempts = [r for r in f.requests if "/events" in r.url]
    assert len(attempts) == 3
    assert attempts[0].url == "/v1/sandboxes/s/events?types=exec.*"
    assert "last-event-id" not in attempts[0].headers
    assert attempts[0].headers["accept"] == "text/event-stream"
    for a in attempts[1:]:
        assert a.url == "/v1/sandboxes/s/events?types=exec.*&after=3"
        assert a.headers["last-event-id"] == "3"


def test_events_resume_with_last_event_id_after_a_dropped_connection_and_a_503_without_repeats(fake):
    f = _events_server(fake, _resume_script)
    sandbox = hive.Hive(f.url, "t").get_sandbox("s")
    got = []
    for e in sandbox.events(types="exec.*"):
        got.append(e.id)
        if e.id == 5:
            break
    assert got == [1, 2, 3, 4, 5]
    _check_resume_requests(f)


def test_async_events_resume_the_same_way(fake):
    f = _events_server(fake, _resume_script)

    async def run() -> list[int]:
        async with hive.aio.AsyncHive(f.url, "t") as client:
            sandbox = await client.get_sandbox("s")
            got = []
            async for e in sandbox.events(types=["exec.*"]):
                got.append(e.id)
                if e.id == 5:
                    break
            return got

    assert asyncio.run(run()) == [1, 2, 3, 4, 5]
    _check_resume_requests(f)


def test_a_silent_connection_is_dropped_after_the_idle_time_and_resumed(fake):
    def script(attempt, req, h):
        start_sse(h)
        sse_event(h, _ev(attempt + 10))
        time.sleep(3)  # then silence: no keep-alives

    f = _events_server(fake, script)
    sandbox = hive.Hive(f.url, "t").get_sandbox("s")
    with mock.patch.object(_protocol, "IDLE_S", 0.3):
        with sandbox.events(after=9) as stream:
            assert next(stream).id == 10
            assert next(stream).id == 11
    assert [r for r in f.requests if "/events" in r.url][-1].headers["last-event-id"] == "10"


def test_close_from_another_thread_ends_the_iteration_normally_and_first_connect_errors_raise(fake):
    def script(attempt, req, h):
        if attempt == 1:
            return problem(h, 401, "Unauthorized", "wrong token")
        start_sse(h)
        sse_event(h, _ev(1))
        time.sleep(30)  # holds the connection open: only close() can end the read

    f = _events_server(fake, script)
    client = hive.Hive(f.url, "t")
    sandbox = client.get_sandbox("s")
    seen: list[int] = []
    stream = sandbox.events()
    loop = threading.Thread(target=lambda: seen.extend(e.id for e in stream))
    loop.start()
    deadline = time.monotonic() + 5
    while not seen and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    client.close()  # blocked in a read in the other thread: woken, and the loop ends normally
    loop.join(20)
    assert not loop.is_alive() and time.monotonic() - started < 20, "the loop ended only when the server let go"
    assert seen == [1]
    with pytest.raises(hive.AuthError):
        next(sandbox.events())


def test_async_close_ends_the_iteration_normally(fake):
    def script(attempt, req, h):
        start_sse(h)
        sse_event(h, _ev(1))
        time.sleep(30)  # holds the connection open: only close() can end the read

    f = _events_server(fake, script)

    async def run() -> list[int]:
        client = hive.aio.AsyncHive(f.url, "t")
        sandbox = await client.get_sandbox("s")
        seen: list[int] = []

        async def consume() -> None:
            async for e in sandbox.events():
                seen.append(e.id)

        task = asyncio.create_task(consume())
        while not seen:
            await asyncio.sleep(0.01)
        client.close()
        await asyncio.wait_for(task, 20)
        await client.aclose()
        return seen

    assert asyncio.run(run()) == [1]


def test_001_8_against_a_daemon_that_reports_denied_egress_each_blocked_request_is_printed_once(fake, capsys):
    def script(attempt, req, h):
        start_sse(h)
        if attempt > 0:
            return  # the stream ends at once; the loop ends when the test closes the client
        sse_event(h, _ev(1, "egress.request", access="allowed", host="api.anthropic.com", method="POST", path="/v1/messages"))
        sse_event(h, _ev(2, "egress.request", access="denied", host="evil.example", method="GET", path="/exfil"))
        sse_event(h, _ev(3, "dns.query", name="evil.example", answer="nxdomain"))
        sse_event(h, _ev(4, "egress.request", access="denied", host="pypi.org", method="TLS", path=None))

    f = _events_server(fake, script)
    client = hive.Hive(f.url, "t")
    sandbox = client.get_sandbox("s")

    def loop() -> None:
        for event in sandbox.get_events_stream():
            if event.type == "egress.request" and event.access == "denied":
                print("blocked:", event.host, event.method, event.path)

    t = threading.Thread(target=loop)
    t.start()
    time.sleep(0.8)  # a reconnect or two: nothing is printed twice
    client.close()
    t.join(5)
    assert capsys.readouterr().out == "blocked: evil.example GET /exfil\nblocked: pypi.org TLS None\n"


def test_connection_settings_from_hive_url_token_else_listen_or_daemon_json_and_the_token_file(tmp_path: Path):
    rc = hive.resolve_connection
    assert rc({"HIVE_URL": "http://10.0.0.1:9999", "HIVE_TOKEN": "abc"}) == hive.ConnectionSettings("http://10.0.0.1:9999", "abc", None)
    assert rc({}) == hive.ConnectionSettings("http://127.0.0.1:9000", None, "/var/lib/hive/token")
    assert rc({"HIVE_LISTEN": "0.0.0.0:9100"}).url == "http://127.0.0.1:9100"
    assert rc({"HIVE_LISTEN": ":9200"}).url == "http://127.0.0.1:9200"
    assert rc({"HIVE_LISTEN": "[::]:9300"}).url == "http://[::1]:9300"
    (tmp_path / "daemon.json").write_text(json.dumps({"listen": "127.0.0.1:9444"}))
    (tmp_path / "token").write_text("file-token\n")
    assert rc({"HIVE_HOME": str(tmp_path)}) == hive.ConnectionSettings("http://127.0.0.1:9444", None, str(tmp_path / "token"))
    assert rc({"HIVE_HOME": str(tmp_path), "HIVE_LISTEN": "127.0.0.1:9555"}).url == "http://127.0.0.1:9555", "HIVE_LISTEN wins"
    env = {k: v for k, v in os.environ.items() if k not in ("HIVE_URL", "HIVE_TOKEN", "HIVE_LISTEN")}
    with mock.patch.dict(os.environ, {**env, "HIVE_HOME": str(tmp_path)}, clear=True):
        c = hive.Hive()
        assert c.url == "http://127.0.0.1:9444"
        assert c.connection.token == "file-token"
        a = hive.aio.AsyncHive()
        assert (a.url, a.connection.token) == ("http://127.0.0.1:9444", "file-token")
        assert hive.Hive("http://127.0.0.1:1234").connection.token is None, "a given url never gets the local token"
    with pytest.raises(hive.HiveError, match="not an absolute http"):
        rc({"HIVE_URL": "localhost:9000"})


def test_a_daemon_that_is_not_running_is_an_unavailable_error_saying_so():
    from _daemon import free_port

    port = free_port()
    with pytest.raises(hive.UnavailableError) as caught:
        hive.Hive(f"http://127.0.0.1:{port}", "x").list_sandboxes()
    assert caught.value.status == 0
    assert str(caught.value) == (
        f"The Hive daemon is not running at http://127.0.0.1:{port} (connection refused). Start it with `hive up`, or set HIVE_URL to where it runs."
    )
    with pytest.raises(hive.UnavailableError, match="connection refused"):
        next(hive.Hive(f"http://127.0.0.1:{port}", "x").events())

    async def run() -> None:
        await hive.aio.AsyncHive(f"http://127.0.0.1:{port}", "x").health()

    with pytest.raises(hive.UnavailableError, match="connection refused"):
        asyncio.run(run())


def test_events_are_dicts_with_attribute_access():
    e = hive.Event({"id": 3, "ts": "t", "sandbox": "s", "type": "fs.request", "op": "unlink", "path": "/w/a"})
    assert (e.id, e.type, e.path, e.op, e["op"], e.access, e.host) == (3, "fs.request", "/w/a", "unlink", "unlink", None, None)
    assert json.loads(json.dumps(e)) == dict(e)
    with pytest.raises(AttributeError, match="has no field 'status'"):
        e.status  # noqa: B018
