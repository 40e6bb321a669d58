"""The TypeScript snippets of ../shared/reference/, translated call for call into Python, against a live daemon.

Each block between ``# >>> <reference> #<n>`` and ``# <<<`` is the translation of the n-th TypeScript snippet of
that reference (``await getOrCreateSandbox(...)`` -> ``get_or_create_sandbox(...)``, object literals -> dicts,
``process.env.X!`` -> ``os.environ["X"]``, ``{...a, b}`` -> ``{**a, "b": ...}``); the README shows the same blocks
(checked by the first test). The snippets' imports sit at the top of this file; variables a snippet takes from its
surrounding document (``rotated_key``) are provided by the test around it. Every host the snippets name is pointed
at a loopback upstream (conftest.py), so the rules they set are exercised by real requests from the sandbox.

Not run here, as in the TypeScript suite: 001's fragments that are only an ``egress`` value, 002 (shell commands of
another tool), 003's ``Sandbox.create`` snippets (superserve's API, not ours), 004's shell/Dockerfile blocks. Two
001 snippets elide part of the object with a literal ``...``; they run with only that line removed ("adapted").
"""
from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

# >>> imports
import hive
from hive import Secret, get_or_create_sandbox
# <<<
from _daemon import PACKAGE_ROOT, TestDaemon, eventually
from _servers import LoopbackServer

FAKE_ENV = {
    "ANTHROPIC_API_KEY": "sk-ant-api03-FAKE-test-key-0123456789",
    "GITHUB_TOKEN": "ghp_FAKEtesttoken0123456789",
    "FINNHUB_API_KEY": "finnhub-FAKE-key-4242",
}


@pytest.fixture(scope="module", autouse=True)
def default_client(daemon: TestDaemon) -> Iterator[None]:
    """The snippets use the default client, which reads HIVE_URL and HIVE_TOKEN on first use."""
    saved = dict(os.environ)
    os.environ.update({"HIVE_URL": daemon.url, "HIVE_TOKEN": daemon.token, **FAKE_ENV})
    hive.set_default_client(None)
    yield
    hive.get_default_client().close()
    hive.set_default_client(None)
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def admin(daemon: TestDaemon) -> Iterator[hive.Hive]:
    with daemon.client() as c:
        yield c


@pytest.fixture
def fresh(admin: hive.Hive):
    """Removes the sandboxes a snippet is about to create, so each snippet creates its own."""

    def remove(*names: str) -> None:
        for name in names:
            try:
                admin.delete_sandbox(name)
            except hive.NotFoundError:
                pass

    return remove


def shell(sandbox: hive.Sandbox, line: str) -> str:
    r = sandbox.exec(["/bin/sh", "-c", line])
    assert r.exit_code == 0, r.stderr
    return r.stdout.strip()


def fetch(sandbox: hive.Sandbox, url: str, *wget_args: str) -> tuple[bool, str]:
    """A request from inside the sandbox (busybox wget): (succeeded, body or error)."""
    # (busybox wget's own -T timeout crashes it in this image; the exec's timeout bounds the request instead)
    r = sandbox.exec(["wget", "-q", "-O", "-", *wget_args, url], timeout_ms=30_000)
    return r.exit_code == 0, (r.stdout if r.exit_code == 0 else r.stderr)


def blocks(text: str) -> dict[str, str]:
    """The translated snippet blocks of a text, by label, with whitespace squashed."""
    return {m[1]: re.sub(r"\s+", "", m[2]) for m in re.finditer(r"# >>> (\S+ #\d+)\n(.*?)# <<<", text, re.S)}


def test_the_readme_shows_every_translated_snippet_as_it_runs_here():
    here = blocks(Path(__file__).read_text())
    readme = re.sub(r"\s+", "", (PACKAGE_ROOT / "README.md").read_text())
    assert len(here) >= 12
    missing = [label for label, body in here.items() if body not in readme]
    assert missing == [], f"README.md lacks (or differs from) the translation of {missing}"


def test_000_1_env_and_a_custom_image(fresh, upstream: LoopbackServer):
    fresh("my-sandbox")
    # >>> 000_e95f8bce2a11ff0a.txt #1
    sandbox = get_or_create_sandbox("my-sandbox", {
        "image": "hive/claude-code:latest",
        "env": {
            "ANTHROPIC_API_KEY": os.environ["ANTHROPIC_API_KEY"],
            "GITHUB_TOKEN": os.environ["GITHUB_TOKEN"],
        },
        "fs": [{"backend": "local", "mount": "/workspace", "acls": [{"path": "/workspace/**", "access": "rw"}]}],
        "egress": [{"access": "allow", "host": "api.anthropic.com"}],
    })
    # Inside the sandbox: the environment variable ANTHROPIC_API_KEY is available
    # <<<
    assert sandbox.created is True
    assert sandbox.status == "running"
    assert sandbox.config["image"] == "hive/claude-code:latest"
    assert sandbox.config["egress"] == [{"access": "allow", "host": "api.anthropic.com"}]
    assert shell(sandbox, 'echo "$ANTHROPIC_API_KEY"') == FAKE_ENV["ANTHROPIC_API_KEY"]
    assert shell(sandbox, 'echo "$GITHUB_TOKEN"') == FAKE_ENV["GITHUB_TOKEN"]
    ok, body = fetch(sandbox, f"http://api.anthropic.com:{upstream.port}/v1/models")
    assert ok and body == "upstream saw GET /v1/models\n", body
    ok, body = fetch(sandbox, f"http://api.github.com:{upstream.port}/")
    assert not ok, "only api.anthropic.com is allowed"


def test_000_2_a_fresh_sandbox_with_a_rotated_key(fresh):
    fresh("my-sandbox-v2")
    rotated_key = "sk-ant-api03-ROTATED-fake-key"
    # >>> 000_e95f8bce2a11ff0a.txt #2
    # To rotate a key, provision a fresh sandbox
    sandbox = get_or_create_sandbox("my-sandbox-v2", {
        "image": "hive/claude-code:latest",
        "env": {
            "ANTHROPIC_API_KEY": rotated_key,
        },
        "fs": [{"backend": "local", "mount": "/workspace", "acls": [{"path": "/workspace/**", "access": "rw"}]}],
        "egress": [{"access": "allow", "host": "api.anthropic.com"}],
    })
    # <<<
    assert sandbox.created is True
    assert sandbox.get_config()["env"] == {"ANTHROPIC_API_KEY": rotated_key}
    assert shell(sandbox, 'echo "$ANTHROPIC_API_KEY"') == rotated_key
    # env is immutable: applying a changed env is refused with 422 and the field's path.
    with pytest.raises(hive.ValidationError) as caught:
        sandbox.apply_config({**sandbox.get_config(), "env": {"ANTHROPIC_API_KEY": "other"}})
    assert caught.value.status == 422
    assert "env" in [e.path for e in caught.value.errors]
    sandbox.shutdown()


def test_000_3_egress_override_values_reach_the_upstream_and_read_back_redacted(fresh, upstream: LoopbackServer):
    fresh("my-sandbox")
    # >>> 000_e95f8bce2a11ff0a.txt #3
    sandbox = get_or_create_sandbox("my-sandbox", {
        "fs": [{"backend": "local", "mount": "/workspace", "acls": [{"path": "/workspace/**", "access": "rw"}]}],
        "egress": [{
            "access": "allow",
            "host": "api.finnhub.io",
            "override": {
                "headers": {"X-Finnhub-Token": os.environ["FINNHUB_API_KEY"]},
                # or query params:
                # "query": {"api_key": os.environ["API_KEY"]},
            },
        }],
    })
    # <<<
    config = sandbox.get_config()
    assert config["image"] == "hive/base"
    assert config["egress"] == [{"access": "allow", "host": "api.finnhub.io", "override": {"headers": {"X-Finnhub-Token": "***"}, "query": {}}}]
    assert sandbox.config["egress"][0]["override"]["headers"]["X-Finnhub-Token"] == "***"
    key = FAKE_ENV["FINNHUB_API_KEY"]
    ok, body = fetch(sandbox, f"http://api.finnhub.io:{upstream.port}/api/v1/quote?symbol=AAPL")
    assert ok, body
    assert upstream.last.url == "/api/v1/quote?symbol=AAPL"
    assert upstream.last.headers["x-finnhub-token"] == key, "the proxy sets the header on the way out"
    assert key not in shell(sandbox, "env; cat /proc/self/environ | tr '\\0' '\\n'"), "the sandbox never holds the value"
    assert key not in json.dumps(config) and key not in json.dumps(sandbox.info)
    assert key not in json.dumps(sandbox.get_events()), "the override value is in an event"


def test_001_1_no_egress_rules_all_outbound_denied(fresh, upstream: LoopbackServer):
    fresh("my-sandbox")
    # >>> 001_5e45544786faa9c4.txt #1
    # No egress rules — all outbound traffic is denied
    sandbox = get_or_create_sandbox("my-sandbox", {
        "fs": [{"backend": "local", "mount": "/workspace", "acls": [{"path": "/workspace/**", "access": "rw"}]}],
    })
    # <<<
    assert sandbox.created is True
    assert sandbox.get_config()["egress"] == []
    seen = len(upstream.requests)
    ok, error = fetch(sandbox, f"http://api.anthropic.com:{upstream.port}/")
    assert not ok and "bad address" in error, error  # not even DNS answers
    assert len(upstream.requests) == seen


def test_001_2_adapted_allow_everything_with_host_star(fresh):
    fresh("my-sandbox")
    # >>> 001_5e45544786faa9c4.txt #2
    sandbox = get_or_create_sandbox("my-sandbox", {
        "egress": [{"access": "allow", "host": "*"}],
    })
    # <<<
    assert sandbox.get_config()["egress"] == [{"access": "allow", "host": "*"}]


def test_001_3_rules_narrowed_by_port_method_and_path_are_stored_in_order_and_enforced(fresh, upstream: LoopbackServer):
    fresh("my-sandbox")
    # >>> 001_5e45544786faa9c4.txt #3
    sandbox = get_or_create_sandbox("my-sandbox", {
        "fs": [{"backend": "local", "mount": "/workspace", "acls": [{"path": "/workspace/**", "access": "rw"}]}],
        "egress": [
            {"access": "allow", "host": "api.anthropic.com"},
            {"access": "allow", "host": "pypi.org", "ports": [443]},
            {"access": "allow", "host": "api.github.com", "methods": ["GET", "POST"]},
            {"access": "allow", "host": "api.example.com", "paths": ["/v1/*"]},
        ],
    })
    # <<<
    assert sandbox.get_config()["egress"] == [
        {"access": "allow", "host": "api.anthropic.com"},
        {"access": "allow", "host": "pypi.org", "ports": [443]},
        {"access": "allow", "host": "api.github.com", "methods": ["GET", "POST"]},
        {"access": "allow", "host": "api.example.com", "paths": ["/v1/*"]},
    ]
    port = upstream.port
    cases = [  # (url, wget arguments, allowed)
        (f"http://api.anthropic.com:{port}/v1/messages", [], True),
        (f"http://pypi.org:{port}/simple/", [], False),  # only port 443
        (f"http://api.github.com:{port}/repos/x", ["--post-data=x"], True),
        (f"http://api.example.com:{port}/v1/items", [], True),
        (f"http://api.example.com:{port}/v2/items", [], False),
    ]
    for url, args, allowed in cases:
        ok, body = fetch(sandbox, url, *args)
        assert ok == allowed, f"{url}: {body}"
    denied = [(e.host, e.path) for e in sandbox.get_events(types="egress.request") if e.access == "denied"]
    assert ("pypi.org", "/simple/") in denied and ("api.example.com", "/v2/items") in denied, denied


def test_001_6_adapted_override_header_redacted_on_read(fresh):
    fresh("my-sandbox")
    # >>> 001_5e45544786faa9c4.txt #6
    sandbox = get_or_create_sandbox("my-sandbox", {
        "egress": [{
            "access": "allow",
            "host": "api.finnhub.io",
            "override": {
                "headers": {"X-Finnhub-Token": os.environ["FINNHUB_API_KEY"]},
            },
        }],
    })
    # <<<
    assert sandbox.get_config()["egress"][0]["override"]["headers"]["X-Finnhub-Token"] == "***"


def test_001_7_apply_config_with_the_current_config_and_new_egress_rules(fresh, upstream: LoopbackServer):
    fresh("my-sandbox")
    sandbox = get_or_create_sandbox("my-sandbox", {
        "fs": [{"backend": "local", "mount": "/workspace", "acls": [{"path": "/workspace/**", "access": "rw"}]}],
        "egress": [{"access": "allow", "host": "pypi.org", "ports": [443]}],
        "ttl": 600,
    })
    assert not fetch(sandbox, f"http://api.anthropic.com:{upstream.port}/")[0]
    # >>> 001_5e45544786faa9c4.txt #7
    sandbox.apply_config({
        **sandbox.get_config(),
        "egress": [
            {"access": "allow", "host": "api.anthropic.com"},
        ],
    })
    # <<<
    config = sandbox.get_config()
    assert config["egress"] == [{"access": "allow", "host": "api.anthropic.com"}]
    assert config["ttl"] == 600, "the other settings are kept"
    assert config["fs"][0]["volume"] == "my-sandbox-workspace"
    assert sandbox.config["egress"] == config["egress"], "sandbox.config follows the applied config"
    assert sandbox.get_events(types="config.apply")[-1]["success"] is True
    ok, body = fetch(sandbox, f"http://api.anthropic.com:{upstream.port}/v1/messages")
    assert ok, f"the new rule takes effect at once: {body}"


def test_001_8_the_event_loop_prints_each_blocked_request_once_and_ends_when_the_client_closes(daemon: TestDaemon, fresh, upstream, capsys):
    # Its own name: a sandbox's event history outlives it, and the loop reads it from the first event.
    fresh("egress-watch")
    client = daemon.client()
    sandbox = client.get_or_create_sandbox("egress-watch", {"egress": [{"access": "allow", "host": "api.github.com", "methods": ["GET"]}]})

    def loop() -> None:
        # >>> 001_5e45544786faa9c4.txt #8
        for event in sandbox.get_events_stream():
            if event.type == "egress.request" and event.access == "denied":
                print("blocked:", event.host, event.method, event.path)
        # <<<

    thread = threading.Thread(target=loop)
    thread.start()
    printed: list[str] = []
    try:
        assert fetch(sandbox, f"http://api.github.com:{upstream.port}/repos/x")[0], "GET is allowed"
        assert not fetch(sandbox, f"http://api.github.com:{upstream.port}/repos/x", "--post-data=x")[0], "POST is not"
        eventually(lambda: printed.append(capsys.readouterr().out) or "blocked:" in "".join(printed), "the blocked request to be printed")
        time.sleep(0.5)  # anything printed twice would show by now
    finally:
        client.close()  # the loop ends (normally) when the client is closed
        thread.join(10)
    assert not thread.is_alive()
    printed.append(capsys.readouterr().out)
    assert "".join(printed) == "blocked: api.github.com POST /repos/x\n"


def test_003_secret_create_then_bound_by_env_var_the_upstream_gets_the_real_value(daemon: TestDaemon, fresh, upstream: LoopbackServer, admin):
    fresh("research-agent")
    real = FAKE_ENV["ANTHROPIC_API_KEY"]
    # >>> 003_d881b10c1b1ec2d2.txt #1
    Secret.create(
        name="anthropic-prod",
        value=os.environ.get("ANTHROPIC_API_KEY"),
        provider="anthropic",
    )
    # <<<
    try:
        sandbox = get_or_create_sandbox("research-agent", {
            "secrets": {"ANTHROPIC_API_KEY": "anthropic-prod"},
            "egress": [{"access": "allow", "host": "api.anthropic.com"}],
        })
        stand_in = shell(sandbox, 'echo "$ANTHROPIC_API_KEY"')
        assert stand_in != real and stand_in.startswith("sk-ant-api03-") and len(stand_in) == len(real)
        ok, body = fetch(sandbox, f"http://api.anthropic.com:{upstream.port}/v1/messages", f"--header=x-api-key: {stand_in}")
        assert ok, body
        assert upstream.last.headers["x-api-key"] == real, "the proxy swapped the stand-in for the real value"
        # Activity is written with the secret.used event, which the proxy records without waiting for its commit.
        activity = eventually(lambda: Secret.activity("anthropic-prod"), "the secret's activity")
        assert activity[0]["kind"] == "used" and activity[0]["host"] == "api.anthropic.com"
        assert all(real not in json.dumps(s) for s in Secret.list())
        sandbox.shutdown()
    finally:
        Secret.delete("anthropic-prod")


def test_004_1_import_hive_egress_in_allow_form_normalised_to_the_list_form(daemon: TestDaemon, fresh):
    fresh("my-sandbox")
    # >>> 004_11794abf9107c6bf.txt #1
    sandbox = hive.get_or_create_sandbox("my-sandbox", {
        "fs": [
            {
                "backend": "local",
                "mount": "/workspace",
                "acls": [{"path": "/workspace/**", "access": "rw"}],
            },
        ],
        "egress": {
            "allow": [{"host": "api.github.com", "methods": ["GET"], "paths": ["/repos/*"]}],
        },
    })
    # <<<
    assert sandbox.created is True
    assert sandbox.get_config()["egress"] == [{"access": "allow", "host": "api.github.com", "methods": ["GET"], "paths": ["/repos/*"]}]
    assert sandbox.url == f"{daemon.url}/sandboxes/my-sandbox/"


def test_004_2_a_custom_image_sandbox_url_reaches_its_port_8080(daemon: TestDaemon, fresh):
    fresh("my-sandbox")
    # >>> 004_11794abf9107c6bf.txt #2
    sandbox = hive.get_or_create_sandbox("my-sandbox", {
        "image": "custom-node-hive-bundle:latest",
        # the rest
    })
    # `sandbox.url` points to the port `:8080`
    # <<<
    assert sandbox.created is True
    assert sandbox.status == "running"
    assert sandbox.config["image"] == "custom-node-hive-bundle:latest"
    assert sandbox.url == f"{daemon.url}/sandboxes/my-sandbox/"
    assert any(s.name == "my-sandbox" and s.image == "custom-node-hive-bundle:latest" for s in hive.list_sandboxes())
    # The copy of hive/minimal serves nothing on 8080 by itself: start busybox httpd there, then reach it.
    shell(sandbox, "mkdir -p /tmp/www && echo hello-from-8080 > /tmp/www/index.html && busybox httpd -p 8080 -h /tmp/www")
    response = eventually(
        lambda: (r := httpx.get(sandbox.url + "index.html", headers={"authorization": f"Bearer {daemon.token}"}, trust_env=False)).is_success and r,
        "the sandbox's port 8080 through sandbox.url",
    )
    assert response.text == "hello-from-8080\n"
