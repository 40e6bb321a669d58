"""Approvals against a live daemon: a sandbox whose config has an ask rule, a request from inside it held by the
egress proxy, the SDK's iterator yields it, allow()/deny() decides it; the upstream is the loopback one."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import pytest

import hive
from _daemon import TestDaemon
from _servers import LoopbackServer, json_answer, start_server


@pytest.fixture(scope="module")
def client(daemon: TestDaemon) -> Iterator[hive.Hive]:
    with daemon.client() as c:
        yield c


@pytest.fixture(scope="module")
def sandbox(client: hive.Hive) -> hive.Sandbox:
    return client.get_or_create_sandbox("py-ask", {
        "image": "hive/minimal",
        "egress": [{"access": "allow", "host": "api.anthropic.com"}, {"access": "ask", "host": "api.github.com"}],
        "askTimeout": 60,
    })


def fetch(sandbox: hive.Sandbox, url: str) -> hive.ExecResult:
    return sandbox.exec(["wget", "-q", "-O", "-", url], timeout_ms=60_000)


def test_the_config_keeps_the_ask_rule_and_the_ask_fields(sandbox):
    config = sandbox.get_config()
    assert config["egress"][1]["access"] == "ask"
    assert config["askTimeout"] == 60
    assert config.get("egressDefault", "deny") == "deny"


def test_a_held_request_is_yielded_by_approvals_and_allow_lets_it_reach_the_upstream(client, sandbox, upstream: LoopbackServer):
    url = f"http://api.github.com:{upstream.port}/repos/acme/held-allow"
    with ThreadPoolExecutor(1) as pool, client.approvals(sandbox="py-ask") as stream:
        pending = pool.submit(fetch, sandbox, url)
        approval = next(a for a in stream if a.path == "/repos/acme/held-allow")
        assert (approval.sandbox, approval.kind, approval.host, approval.port, approval.method) == ("py-ask", "http", "api.github.com", upstream.port, "GET")
        assert approval.rule == 1 and approval.id.startswith("apr_")
        assert not pending.done(), "the request waits for the decision"
        assert approval.id in [a.id for a in client.list_approvals(sandbox="py-ask")]
        answer = approval.allow()
        assert (answer["decision"], answer["scope"]) == ("allow", "once")
        r = pending.result(timeout=60)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "upstream saw GET /repos/acme/held-allow\n"
    assert client.list_approvals(sandbox="py-ask") == []
    with pytest.raises(hive.ConflictError):
        approval.deny()  # no longer waiting


def test_deny_refuses_the_held_request_with_403_and_it_never_reaches_the_upstream(client, sandbox, upstream: LoopbackServer):
    url = f"http://api.github.com:{upstream.port}/repos/acme/held-deny"
    with ThreadPoolExecutor(1) as pool, client.approvals() as stream:
        pending = pool.submit(fetch, sandbox, url)
        approval = next(a for a in stream if a.path == "/repos/acme/held-deny")
        assert approval.deny()["decision"] == "deny"
        r = pending.result(timeout=60)
    assert r.exit_code != 0 and "403" in r.stderr, r.stderr
    assert all(req.url != "/repos/acme/held-deny" for req in upstream.requests)


def test_closing_the_client_ends_the_approvals_iteration(daemon):
    c = daemon.client()
    stream = c.approvals(sandbox="py-nothing-held")
    with ThreadPoolExecutor(1) as pool:
        done = pool.submit(list, stream)
        c.close()
        assert done.result(timeout=10) == []


def test_decisions_send_the_scope_and_narrowed_rule_and_errors_are_typed():
    held = {"id": "apr_0123456789abcdef", "sandbox": "demo", "kind": "https", "host": "api.github.com", "port": 443,
            "method": "GET", "path": "/repos/acme/x", "rule": None, "waiters": 1, "createdAt": "t", "expiresAt": "t"}
    answers = [
        lambda h: json_answer(h, 200, [held]),
        lambda h: json_answer(h, 200, {"id": held["id"], "decision": "allow", "scope": "sandbox", "ruleIndex": 0}),
        lambda h: json_answer(h, 400, {"title": "Invalid approval decision", "status": 400, "detail": "rule.paths[0]: must start with /",
                                        "errors": [{"path": "rule.paths[0]", "message": "must start with /"}]}),
    ]
    server = start_server(lambda req, h: answers.pop(0)(h))
    try:
        with hive.Hive(server.url, "t") as c:
            [a] = c.list_approvals(sandbox="demo")
            assert server.last.url == "/v1/approvals?sandbox=demo&follow=false"
            assert (a.rule, a.path, a.created_at) == (None, "/repos/acme/x", "t")
            assert a.allow("sandbox", methods="GET", paths=["/repos/**"])["ruleIndex"] == 0
            assert (server.last.method, server.last.url) == ("POST", "/v1/approvals/apr_0123456789abcdef")
            assert server.last.headers["authorization"] == "Bearer t"
            assert json.loads(server.last.body) == {"decision": "allow", "scope": "sandbox", "rule": {"methods": ["GET"], "paths": ["/repos/**"]}}
            with pytest.raises(hive.ValidationError) as caught:
                c.decide_approval(a.id, "deny", "sandbox", paths="no-slash")
            assert caught.value.errors[0].path == "rule.paths[0]"
    finally:
        server.close()


def test_aio_approvals_yields_the_held_request_and_allow_answers_it(daemon, sandbox, upstream: LoopbackServer):
    import asyncio

    async def run() -> hive.ExecResult:
        async with daemon.aclient() as c:
            pending = asyncio.ensure_future(asyncio.to_thread(fetch, sandbox, f"http://api.github.com:{upstream.port}/repos/acme/held-aio"))
            async with c.approvals(sandbox="py-ask") as stream:
                async for a in stream:
                    if a.path == "/repos/acme/held-aio":
                        assert a.id in [x.id for x in await c.list_approvals(sandbox="py-ask")]
                        assert (await a.allow())["decision"] == "allow"
                        break
            return await asyncio.wait_for(pending, 60)

    r = asyncio.run(run())
    assert r.exit_code == 0 and r.stdout == "upstream saw GET /repos/acme/held-aio\n", r.stderr
