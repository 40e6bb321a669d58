"""The SDK's surface against a live daemon: exec (plain, streamed, iterated), files, errors, listing, apply_config."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Iterator

import pytest

import hive
from _daemon import TestDaemon, eventually, free_port


@pytest.fixture(scope="module")
def client(daemon: TestDaemon) -> Iterator[hive.Hive]:
    with daemon.client() as c:
        yield c


@pytest.fixture(scope="module")
def sandbox(client: hive.Hive) -> hive.Sandbox:
    return client.get_or_create_sandbox("sdk", {"image": "hive/minimal", "env": {"GREETING": "hello"}})


def test_get_or_create_sandbox_201_then_200_the_existing_config_is_kept(daemon, client, sandbox):
    assert sandbox.created is True
    assert (sandbox.name, sandbox.status) == ("sdk", "running")
    assert sandbox.url == f"{daemon.url}/sandboxes/sdk/"
    datetime.fromisoformat(sandbox.created_at.replace("Z", "+00:00"))
    again = client.get_or_create_sandbox("sdk", {"image": "hive/minimal", "ttl": 99})
    assert again.created is False
    assert again.config["ttl"] == 0, "an existing sandbox keeps its config"
    assert again.config["env"] == {"GREETING": "hello"}
    assert client.get_sandbox("sdk").status == "running"
    assert "sdk" in [s.name for s in client.list_sandboxes()]
    assert client.health()["status"] == "ok"


def test_exec_without_callbacks_one_json_answer_with_cwd_env_stdin_and_exit_code(sandbox):
    r = sandbox.exec(["/bin/sh", "-c", 'pwd; echo "$GREETING $EXTRA"; cat; echo oops >&2; exit 3'],
                     cwd="/tmp", env={"EXTRA": "world"}, stdin="from stdin\n")
    assert (r.exit_code, r.stdout, r.stderr, r.timed_out) == (3, "/tmp\nhello world\nfrom stdin\n", "oops\n", False)
    assert r.duration_ms >= 0
    assert sandbox.exec("echo $((6 * 7))").stdout == "42\n"


STREAMED = "for i in 1 2 3; do echo out$i; sleep 0.15; echo err$i >&2; sleep 0.15; done; echo done"
STREAMED_FRAMES = ["out:out1\n", "err:err1\n", "out:out2\n", "err:err2\n", "out:out3\n", "err:err3\n", "out:done\n"]


def test_exec_streams_stdout_and_stderr_to_the_callbacks_in_order_as_they_come(sandbox):
    frames: list[str] = []
    first_at = 0.0

    def out(chunk: str) -> None:
        nonlocal first_at
        first_at = first_at or time.monotonic()
        frames.append(f"out:{chunk}")

    r = sandbox.exec(STREAMED, on_stdout=out, on_stderr=lambda chunk: frames.append(f"err:{chunk}"))
    ended = time.monotonic()
    assert frames == STREAMED_FRAMES
    assert (r.exit_code, r.stdout, r.stderr) == (0, "out1\nout2\nout3\ndone\n", "err1\nerr2\nerr3\n")
    # Streamed: the first chunk came while the command still had ~0.75 s of sleeps ahead of it.
    assert ended - first_at >= 0.6, f"the first chunk arrived {ended - first_at:.2f} s before the end: not streamed"


def test_exec_stream_is_an_iterator_over_the_output_with_the_result_at_the_end(sandbox):
    with sandbox.exec_stream(STREAMED) as run:
        frames = [f"{o.stream[3:]}:{o.data}" for o in run]
    assert frames == STREAMED_FRAMES
    assert run.result.exit_code == 0 and run.result.stdout == "out1\nout2\nout3\ndone\n"
    assert sandbox.exec_stream("exit 4").wait().exit_code == 4


def test_closing_an_exec_stream_early_stops_the_command(sandbox):
    with sandbox.exec_stream("echo started; exec sleep 31.5") as run:
        assert next(run).data == "started\n"
        assert "sleep 31.5" in sandbox.exec("ps -o args").stdout
    # Polled, not timed: the command is gone as soon as the daemon has seen the request close.
    eventually(lambda: "sleep 31.5" not in sandbox.exec("ps -o args").stdout, "the command to be stopped", 20)


def test_exec_with_timeout_ms_reports_timed_out(sandbox):
    # The timeout covers starting the command (a runc exec: a few hundred ms on a loaded 2-core machine), so it
    # must leave room for `echo start` to run before it strikes.
    r = sandbox.exec("echo start; sleep 30", timeout_ms=2500, on_stdout=lambda _: None)
    assert r.timed_out is True and r.stdout == "start\n"
    assert sandbox.exec(["sleep", "30"], timeout_ms=300).timed_out is True


def test_exec_refuses_an_empty_command_before_sending_the_daemons_400_names_the_field(sandbox):
    with pytest.raises(ValueError):
        sandbox.exec("")
    with pytest.raises(ValueError):
        sandbox.exec([])
    with pytest.raises(hive.ValidationError) as caught:
        sandbox.exec("true", cwd="relative")
    assert caught.value.status == 400
    assert [e.path for e in caught.value.errors] == ["cwd"]


def test_files_write_read_read_text_list_delete_404_after_delete(sandbox):
    sandbox.files.write("/workspace/notes/a.txt", "hello ✓\n")
    sandbox.files.write("/workspace/notes/b.bin", bytes([0, 1, 2, 255]))
    assert sandbox.files.read_text("/workspace/notes/a.txt") == "hello ✓\n"
    assert sandbox.files.read("/workspace/notes/b.bin") == bytes([0, 1, 2, 255])
    listing = sandbox.files.list("/workspace/notes")
    assert sorted((e.name, e.type, e.size) for e in listing) == [("a.txt", "file", 10), ("b.bin", "file", 4)]
    assert sandbox.exec("cat /workspace/notes/a.txt").stdout == "hello ✓\n", "the agent sees the file"
    with pytest.raises(hive.HiveError, match="is a directory"):
        sandbox.files.read("/workspace/notes")
    sandbox.files.delete("/workspace/notes/a.txt")
    with pytest.raises(hive.NotFoundError):
        sandbox.files.read_text("/workspace/notes/a.txt")
    events = sandbox.get_events(types="fs.request")
    assert any(e.path == "/workspace/notes/a.txt" and e["op"] == "unlink" for e in events), "file access is recorded"


def test_validation_errors_400_with_the_json_path_of_each_invalid_field(client, sandbox):
    with pytest.raises(hive.ValidationError) as caught:
        sandbox.apply_config({
            "image": "hive/minimal",
            "egress": [{"access": "allow", "host": "api.github.com", "ports": [0]}, {"access": "allow", "host": ""}],
        })
    err = caught.value
    assert (err.status, err.title) == (400, "Invalid configuration")
    assert sorted(e.path for e in err.errors) == ["egress[0].ports[0]", "egress[1].host"]
    assert "egress[0].ports[0]" in str(err)
    # Unknown fields are refused with their path, at creation too.
    with pytest.raises(hive.ValidationError) as unknown:
        client.get_or_create_sandbox("bad", {"image": "hive/minimal", "fs": [{"backend": "local", "mount": "/w", "colour": "red"}]})
    assert [e.path for e in unknown.value.errors] == ["fs[0].colour"]
    with pytest.raises(hive.NotFoundError):
        client.get_sandbox("bad")


def test_an_immutable_field_changed_validation_error_with_status_422(sandbox):
    with pytest.raises(hive.ValidationError) as caught:
        sandbox.apply_config({**sandbox.get_config(), "image": "hive/other"})
    assert caught.value.status == 422
    assert [e.path for e in caught.value.errors] == ["image"]


def test_apply_config_returns_applied_config_changes_warnings(sandbox):
    r = sandbox.apply_config({**sandbox.get_config(), "egress": {"deny": [{"host": "evil.example"}], "allow": [{"host": "*.example"}]}})
    assert r.applied is True
    assert r.config["egress"] == [{"access": "deny", "host": "evil.example"}, {"access": "allow", "host": "*.example"}]
    assert isinstance(r.changes, list) and r.changes, r.changes
    assert isinstance(r.warnings, list)
    assert sandbox.config["egress"] == r.config["egress"]


def test_concurrent_applies_each_succeeds_or_fails_with_conflict_error_and_the_last_success_is_in_force(sandbox):
    hosts = [f"h{i}.example" for i in range(12)]
    base = sandbox.get_config()

    def apply(host: str) -> BaseException | None:
        try:
            sandbox.apply_config({**base, "egress": [{"access": "allow", "host": host}]})
            return None
        except hive.HiveError as e:
            return e

    with ThreadPoolExecutor(len(hosts)) as pool:
        outcomes = list(pool.map(apply, hosts))
    for e in outcomes:
        assert e is None or (isinstance(e, hive.ConflictError) and e.status == 409), repr(e)
    applied = [h for h, e in zip(hosts, outcomes) if e is None]
    assert applied
    now = sandbox.get_config()["egress"]
    assert len(now) == 1 and now[0]["host"] in applied
    events = sandbox.get_events(types="config.apply", limit=1000)
    assert len([e for e in events if e.get("success") is True]) >= len(applied)


def test_not_found_auth_and_unavailable_errors_carry_the_daemons_problem_details(daemon, client):
    with pytest.raises(hive.NotFoundError) as missing:
        client.get_sandbox("nope")
    assert (missing.value.status, missing.value.type) == (404, "https://hive.dev/problems/404")
    assert "nope" in missing.value.detail
    with pytest.raises(hive.AuthError, match="bearer token") as wrong:
        hive.Hive(daemon.url, "wrong").list_sandboxes()
    assert wrong.value.status == 401
    with pytest.raises(hive.AuthError):
        hive.Hive(daemon.url).list_sandboxes()
    port = free_port()  # nothing listens there any more
    with pytest.raises(hive.UnavailableError) as down:
        hive.Hive(f"http://127.0.0.1:{port}", "x").list_sandboxes()
    assert down.value.status == 0
    assert str(down.value) == (
        f"The Hive daemon is not running at http://127.0.0.1:{port} (connection refused). Start it with `hive up`, or set HIVE_URL to where it runs."
    )


def test_get_events_pages_by_type_and_after_shutdown_removes_the_sandbox(client, sandbox):
    everything = sandbox.get_events(after=0)
    assert len(everything) > 3
    assert everything[0].type == "sandbox.created"
    page = sandbox.get_events(after=everything[0].id, limit=2)
    assert [e.id for e in page] == [e.id for e in everything[1:3]]
    execs = client.get_events(types=["exec.request", "exec.response"])
    assert execs and all(e.type.startswith("exec.") for e in execs)

    doomed = client.get_or_create_sandbox("doomed", {"image": "hive/minimal"})
    doomed.shutdown()
    with pytest.raises(hive.NotFoundError):
        client.get_sandbox("doomed")
    assert any(e.sandbox == "doomed" for e in client.get_events(types="sandbox.destroyed"))


def test_sandbox_events_streams_stored_then_live_events_and_ends_on_close(client, sandbox):
    last = sandbox.get_events(after=0, limit=10_000)[-1].id
    with sandbox.events(types="exec.*", after=last) as stream:
        sandbox.exec("echo live")
        first = next(stream)
        second = next(stream)
    assert (first.type, second.type) == ("exec.request", "exec.response")
    assert first.id > last and second.id > first.id
    assert second["exitCode"] == 0
    assert stream.last_event_id == second.id
