"""Runs each example agent twice against a live daemon and the fake Anthropic API, as a user would, and checks
what it left: the files in /workspace (the second run continued the first), the llm.call events, and that
the real key went only to the API."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REAL_KEY, REPO

import hive

EXAMPLES = REPO / "examples"
TASK = "Keep a findings file in /workspace"


def command(language: str, sandbox: str, secret: str) -> list[str]:
    args = [TASK, "--sandbox", sandbox, "--secret", secret]
    if language == "python":
        return [sys.executable, str(EXAMPLES / "python" / "agent.py"), *args]
    return ["node", str(EXAMPLES / "typescript" / "dist" / "agent.js"), *args]


@pytest.mark.parametrize("language", ["python", "typescript"])
def test_agent_runs_twice_and_continues_from_its_notes(language: str, daemon, fake_api) -> None:
    client = daemon.client()
    sandbox_name, secret = f"ex-{language}", f"anthropic-{language}"
    client.secrets.create(name=secret, value=REAL_KEY, provider="anthropic")
    env = {**os.environ, "HIVE_URL": daemon.url, "HIVE_TOKEN": daemon.token, "ANTHROPIC_BASE_URL": fake_api.base_url,
           "PYTHONPATH": str(REPO / "sdk" / "python" / "src")}
    seen_before = len(fake_api.seen)

    outputs = []
    for run in (1, 2):
        done = subprocess.run(command(language, sandbox_name, secret), env=env, capture_output=True, text=True, timeout=300)
        outputs.append(done.stdout + done.stderr)
        last = fake_api.seen[-1].headers if len(fake_api.seen) > seen_before else "no request reached the API"
        assert done.returncode == 0, f"{language} agent run {run} failed (exit {done.returncode}):\n{outputs[-1]}\nthe API saw: {last}"
        assert f"run {run} done" in done.stdout, outputs[-1]

    sandbox = client.get_sandbox(sandbox_name)
    findings = sandbox.files.read_text("/workspace/findings.md")
    assert "- first run: started" in findings and "- second run: continued from my notes" in findings, findings
    notes = sandbox.files.read_text("/workspace/.agent/notes.md")
    assert "## Run 1" in notes and "## Run 2" in notes, notes
    assert "Created findings.md" in notes and "continuing from my notes" in notes, notes
    assert "→ write" in outputs[0] and "→ bash" in outputs[1], outputs

    # Five model calls (three in the first run, two in the second), each with the real key on arrival.
    calls = fake_api.seen[seen_before:]
    assert len(calls) == 5, [c.path for c in calls]
    assert all(REAL_KEY in (c.headers.get("x-api-key"), c.headers.get("authorization", "").removeprefix("Bearer ")) for c in calls)
    assert all(c.body.get("stream") is True and c.body.get("tools") for c in calls)

    llm = sandbox.get_events(types="llm.call")
    assert len(llm) == 5, llm
    for event in llm:
        assert event["provider"] == "anthropic" and event["model"] == "claude-sonnet-4-5", event
        assert event["stream"] is True and event["inputTokens"] == 120 and event["outputTokens"] > 0, event

    # The real key is in no output, no event, and nowhere in the sandbox's environment or workspace.
    assert all(REAL_KEY not in out for out in outputs)
    assert REAL_KEY not in repr([dict(e) for e in sandbox.get_events(limit=1000)])
    inside = sandbox.exec(["sh", "-c", "env; cat /proc/1/environ | tr '\\0' '\\n'; grep -rs . /workspace"])
    assert "ANTHROPIC_API_KEY=sk-ant-" in inside.stdout, "the sandbox holds a stand-in shaped like the key"
    assert REAL_KEY not in inside.stdout + inside.stderr
