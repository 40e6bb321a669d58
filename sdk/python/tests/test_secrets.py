"""The secrets API: what the SDK sends (method, path, headers, body) and how it reads answers, against a local fake;
then the same routes against a live daemon."""
from __future__ import annotations

import asyncio
import json
import os
from typing import Any, Callable, Iterator
from unittest import mock

import pytest

import hive
import hive.aio
from _daemon import TestDaemon
from _servers import LoopbackServer, json_answer, problem, start_server

REAL_VALUE = "sk-ant-api03-REAL-looking-FAKE-value-0123456789abcdef"
INFO = {"name": "anthropic-prod", "provider": "anthropic", "hosts": ["api.anthropic.com"], "createdAt": "2026-01-01T00:00:00Z"}


@pytest.fixture
def fake() -> Iterator[tuple[LoopbackServer, list[Callable[..., None]]]]:
    answers: list[Callable[..., None]] = []

    def handler(req: Any, h: Any) -> None:
        (answers.pop(0) if answers else (lambda h: json_answer(h, 200, INFO)))(h)

    server = start_server(handler)
    with mock.patch.dict(os.environ, {"HIVE_URL": server.url, "HIVE_TOKEN": "secret-test-token", "ANTHROPIC_API_KEY": REAL_VALUE}):
        hive.set_default_client(None)
        try:
            yield server, answers
        finally:
            hive.set_default_client(None)
            server.close()


def test_secret_create_sends_put_with_the_value_and_provider(fake):
    f, _ = fake
    hive.Secret.create(
        name="anthropic-prod",
        value=os.environ.get("ANTHROPIC_API_KEY"),
        provider="anthropic",
    )
    r = f.last
    assert (r.method, r.url) == ("PUT", "/v1/secrets/anthropic-prod")
    assert r.headers["authorization"] == "Bearer secret-test-token"
    assert r.headers["content-type"] == "application/json"
    assert json.loads(r.body) == {"value": REAL_VALUE, "provider": "anthropic"}


def test_a_custom_secret_with_hosts_auth_scheme_and_scope(fake):
    f, _ = fake
    created = hive.Secret.create(name="my-api", value="v-123456", hosts=["api.example.com"], auth={"type": "header", "name": "X-Api-Key"}, sandbox="research")
    assert created == INFO, "the daemon's answer is returned as is"
    assert json.loads(f.last.body) == {"value": "v-123456", "hosts": ["api.example.com"], "auth": {"type": "header", "name": "X-Api-Key"}, "sandbox": "research"}
    hive.Secret.create(name="gh", value="ghp_x", provider="github", global_=True)
    assert json.loads(f.last.body) == {"value": "ghp_x", "provider": "github", "global": True}
    hive.Secret.create(name="gh", value="ghp_x", provider="github", **{"global": True})
    assert json.loads(f.last.body)["global"] is True


def test_list_delete_rotate_activity(fake):
    f, answers = fake
    answers.append(lambda h: json_answer(h, 200, [INFO]))
    assert hive.Secret.list() == [INFO]
    assert (f.last.method, f.last.url) == ("GET", "/v1/secrets")
    answers.append(lambda h: json_answer(h, 204, None))
    hive.Secret.delete("anthropic-prod")
    assert (f.last.method, f.last.url) == ("DELETE", "/v1/secrets/anthropic-prod")
    hive.Secret.rotate("anthropic-prod", "sk-ant-api03-new")
    assert (f.last.method, f.last.url) == ("POST", "/v1/secrets/anthropic-prod/rotate")
    assert json.loads(f.last.body) == {"value": "sk-ant-api03-new"}
    answers.append(lambda h: json_answer(h, 204, None))
    hive.Secret.delete("openai", sandbox="research")
    assert f.last.url == "/v1/secrets/openai?sandbox=research"
    hive.Secret.rotate("openai", "sk-new", sandbox="research")
    assert json.loads(f.last.body) == {"value": "sk-new", "sandbox": "research"}
    activity = [{"id": 7, "ts": "2026-01-01T00:00:01Z", "secret": "anthropic-prod", "kind": "used", "sandbox": "research", "method": "POST",
                 "host": "api.anthropic.com", "path": "/v1/messages", "status": 200, "upstreamStatus": 200, "durationMs": 812}]
    answers.append(lambda h: json_answer(h, 200, activity))
    assert hive.Secret.activity("anthropic-prod", status="4xx", limit=20) == activity
    assert (f.last.method, f.last.url) == ("GET", "/v1/secrets/anthropic-prod/activity?status=4xx&limit=20")
    answers.append(lambda h: json_answer(h, 200, []))
    hive.Secret.activity("anthropic-prod", before=7, sandbox="research")
    assert f.last.url == "/v1/secrets/anthropic-prod/activity?before=7&sandbox=research"
    answers.append(lambda h: json_answer(h, 200, []))
    hive.Secret.activity("a/b")
    assert f.last.url == "/v1/secrets/a%2Fb/activity", "names are escaped"
    # The same on explicit clients, sync and async.
    hive.Hive(f.url, "other").secrets.rotate("x", "v")
    assert f.last.headers["authorization"] == "Bearer other"
    asyncio.run(hive.aio.AsyncHive(f.url, "async").secrets.rotate("x", "v"))
    assert f.last.headers["authorization"] == "Bearer async"


def test_a_missing_value_is_refused_before_anything_is_sent_and_values_never_appear_in_errors(fake):
    f, answers = fake
    before = len(f.requests)
    with pytest.raises(ValueError, match="needs a non-empty string value"):
        hive.Secret.create(name="x", value=os.environ.get("NOT_SET_ANYWHERE"), provider="openai")
    with pytest.raises(ValueError, match="needs a provider or custom hosts"):
        hive.Secret.create(name="x", value="v", hosts=[])
    with pytest.raises(ValueError, match="global or scoped to one sandbox"):
        hive.Secret.create(name="x", value="v", provider="openai", global_=True, sandbox="s")
    with pytest.raises(ValueError, match="needs a non-empty string value"):
        hive.Secret.rotate("x", "")
    assert len(f.requests) == before, "nothing was sent"

    answers.append(lambda h: problem(h, 400, "Invalid secret", 'provider: unknown provider "nope"', [{"path": "provider", "message": 'unknown provider "nope"'}]))
    with pytest.raises(hive.ValidationError) as caught:
        hive.Secret.create(name="x", value=REAL_VALUE, provider="nope")
    assert caught.value.errors == [hive.FieldError("provider", 'unknown provider "nope"')]
    assert REAL_VALUE not in repr(caught.value) and REAL_VALUE not in str(caught.value)
    answers.append(lambda h: problem(h, 404, "Not found", 'secret "gone" does not exist'))
    with pytest.raises(hive.NotFoundError):
        hive.Secret.rotate("gone", REAL_VALUE)


def test_live_daemon_store_list_masked_rotate_activity_delete_validation_names_the_field(daemon: TestDaemon):
    with daemon.client() as client:
        value = "sk-proj-" + "live0123456789abcdefghijklmnopqrstuvwxyz"
        created = client.secrets.create(name="openai-py", value=value, provider="openai", global_=True)
        try:
            assert created["scope"] == "global"
            assert created["hosts"] == ["api.openai.com"]
            assert created["masked"] == "sk-p****wxyz"
            listed = client.secrets.list()
            assert "openai-py" in [s["name"] for s in listed]
            assert value not in json.dumps(listed)
            assert client.secrets.rotate("openai-py", value + "x").get("rotatedAt")
            assert client.secrets.activity("openai-py", status="4xx", limit=5) == []
            with pytest.raises(hive.ValidationError) as caught:
                client.secrets.create(name="custom-py", value=value, hosts=["*"], auth={"type": "bearer"})
            assert [e.path for e in caught.value.errors] == ["hosts[0]"]
            assert value not in str(caught.value) and value not in repr(caught.value.errors)
        finally:
            client.secrets.delete("openai-py")
        with pytest.raises(hive.NotFoundError):
            client.secrets.delete("openai-py")
