#!/usr/bin/env python3
"""A stateful Claude agent in a Hive sandbox.

    python3 agent.py "Summarise the CSV files in /workspace/data into report.md"

It keeps its memory in the sandbox's persistent workspace (``/workspace/.agent/notes.md``): each run reads
the notes of the runs before it, works with the sandbox's tools (the MCP server at ``sandbox.url``: bash,
read, write, edit, glob, grep, ls), and adds what it did. Its Anthropic key is a Hive secret: the agent and
the sandbox only ever hold a stand-in, and every model call goes out through the sandbox's egress proxy,
which swaps in the real key for api.anthropic.com and records an ``llm.call`` event.
"""
from __future__ import annotations

import argparse
import datetime
import os
import sys
from typing import Any
from urllib.parse import urlsplit

import hive

from mcp_http import McpClient
from messages_api import MessagesClient

NOTES = "/workspace/.agent/notes.md"
SYSTEM = """You are an agent working in a Linux sandbox through tools. Your files live in /workspace, which
persists between runs. Use the tools to do the task, then answer with a short summary of what you did.
Notes from your earlier runs (oldest first):
{notes}"""


def main() -> int:
    args = parse_args()
    base_url = os.environ.get("ANTHROPIC_BASE_URL", "https://api.anthropic.com")
    host = urlsplit(base_url).hostname or "api.anthropic.com"
    client = hive.create_client()  # HIVE_URL / HIVE_TOKEN, or the local daemon's defaults
    sandbox = client.get_or_create_sandbox(args.sandbox, {
        "image": "hive/base",
        "secrets": {"ANTHROPIC_API_KEY": args.secret},
        # Only the Messages API on the model's host: nothing else leaves the sandbox.
        "egress": {"allow": [{"host": host, "methods": ["POST"], "paths": ["/v1/messages"]}]},
    })
    print(f"sandbox {sandbox.name} ({'created' if sandbox.created else 'existing'}), tools at {sandbox.url}")

    stand_in = sandbox.exec(["printenv", "ANTHROPIC_API_KEY"]).stdout.strip()
    if not stand_in:
        print(f"the sandbox has no ANTHROPIC_API_KEY: create the secret first (hive secret create {args.secret} --provider anthropic)",
              file=sys.stderr)
        return 2

    notes = read_notes(sandbox)
    run_number = notes.count("\n## Run ") + (1 if notes.startswith("## Run ") else 0) + 1
    model = MessagesClient(sandbox, stand_in, base_url)
    with McpClient(sandbox.url, hive_token()) as tools:
        answer, calls, usage = converse(model, tools, args, notes)

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    entry = f"## Run {run_number} ({stamp})\nTask: {args.task}\nTools: {', '.join(calls) or 'none'}\nResult: {answer.strip()}\n\n"
    sandbox.files.write(NOTES, notes + entry)
    print(f"\nrun {run_number} done: {len(calls)} tool calls, {usage['input']} input and {usage['output']} output tokens; notes in {NOTES}")
    return 0


def converse(model: MessagesClient, tools: McpClient, args: argparse.Namespace, notes: str) -> tuple[str, list[str], dict[str, int]]:
    tool_specs = [{"name": t["name"], "description": t.get("description", ""), "input_schema": t["inputSchema"]} for t in tools.list_tools()]
    messages: list[dict[str, Any]] = [{"role": "user", "content": args.task}]
    calls: list[str] = []
    usage = {"input": 0, "output": 0}
    for _ in range(args.max_turns):
        reply = model.stream(
            on_text=lambda text: print(text, end="", flush=True),
            model=args.model, max_tokens=4096, system=SYSTEM.format(notes=notes or "(none: this is the first run)"),
            messages=messages, tools=tool_specs,
        )
        usage["input"] += reply.get("usage", {}).get("input_tokens", 0)
        usage["output"] += reply.get("usage", {}).get("output_tokens", 0)
        messages.append({"role": "assistant", "content": reply["content"]})
        uses = [b for b in reply["content"] if b["type"] == "tool_use"]
        if reply.get("stop_reason") != "tool_use" or not uses:
            return "".join(b.get("text", "") for b in reply["content"] if b["type"] == "text"), calls, usage
        results = []
        for use in uses:
            print(f"\n→ {use['name']} {short(use['input'])}")
            text, is_error = tools.call_tool(use["name"], use["input"])
            print(("  ✗ " if is_error else "  ") + short(text))
            calls.append(use["name"])
            results.append({"type": "tool_result", "tool_use_id": use["id"], "content": text, "is_error": is_error})
        messages.append({"role": "user", "content": results})
    return f"(stopped after {args.max_turns} turns)", calls, usage


def read_notes(sandbox: hive.Sandbox) -> str:
    try:
        return sandbox.files.read_text(NOTES)
    except hive.NotFoundError:
        return ""


def hive_token() -> str:
    """The bearer token the MCP server behind sandbox.url wants: the daemon's, found as the SDK finds it."""
    token = os.environ.get("HIVE_TOKEN")
    if token:
        return token
    home = os.environ.get("HIVE_HOME", "/var/lib/hive")
    with open(os.path.join(home, "token"), encoding="utf-8") as f:
        return f.read().strip()


def short(value: Any, limit: int = 160) -> str:
    text = str(value).replace("\n", "⏎ ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task", help="what the agent should do")
    parser.add_argument("--sandbox", default="claude-agent", help="sandbox name (reused between runs; default claude-agent)")
    parser.add_argument("--secret", default="anthropic", help="the Hive secret holding the Anthropic key (default anthropic)")
    parser.add_argument("--model", default=os.environ.get("ANTHROPIC_MODEL", "claude-sonnet-4-5"))
    parser.add_argument("--max-turns", type=int, default=20)
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(main())
