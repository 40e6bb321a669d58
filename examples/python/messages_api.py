"""A small client of the Anthropic Messages API (streamed), sending through a Hive sandbox.

With the ``anthropic`` package installed you would pass it an ``httpx`` transport instead; this file
keeps the example free of dependencies beyond the Hive SDK. It implements what the agent needs:
``POST /v1/messages`` with ``stream: true``, reassembling text and tool-use blocks from the events.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Iterator

import hive

import sandbox_http

API_VERSION = "2023-06-01"


class ApiError(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"Anthropic API answered {status}: {body[:500]}")
        self.status = status


class MessagesClient:
    def __init__(self, sandbox: hive.Sandbox, api_key: str, base_url: str) -> None:
        self._sandbox = sandbox
        self._api_key = api_key  # the sandbox's stand-in: the proxy swaps in the real key on the way out
        self._url = base_url.rstrip("/") + "/v1/messages"

    def stream(self, on_text: Callable[[str], None] | None = None, **params: Any) -> dict[str, Any]:
        """Sends one streamed request and returns the whole message (``content``, ``stop_reason``, ``usage``)."""
        headers = {
            "x-api-key": self._api_key,
            "anthropic-version": API_VERSION,
            "content-type": "application/json",
            "accept": "text/event-stream",
        }
        response = sandbox_http.request(self._sandbox, "POST", self._url, headers, json.dumps({**params, "stream": True}))
        if response.status != 200:
            raise ApiError(response.status, response.text())
        return _assemble(_events(response.chunks), on_text)


def _events(chunks: Iterator[str]) -> Iterator[dict[str, Any]]:
    """Server-sent events to their JSON data."""
    buffer = ""
    for chunk in chunks:
        buffer += chunk.replace("\r\n", "\n")
        while "\n\n" in buffer:
            frame, buffer = buffer.split("\n\n", 1)
            data = "\n".join(line[5:].lstrip() for line in frame.split("\n") if line.startswith("data:"))
            if data:
                yield json.loads(data)


def _assemble(events: Iterator[dict[str, Any]], on_text: Callable[[str], None] | None) -> dict[str, Any]:
    message: dict[str, Any] = {}
    partial_json: dict[int, str] = {}
    for event in events:
        kind = event["type"]
        if kind == "message_start":
            message = event["message"]
            message["content"] = []
        elif kind == "content_block_start":
            message["content"].append(event["content_block"])
            partial_json[event["index"]] = ""
        elif kind == "content_block_delta":
            block = message["content"][event["index"]]
            delta = event["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
                if on_text:
                    on_text(delta["text"])
            elif delta["type"] == "input_json_delta":
                partial_json[event["index"]] += delta["partial_json"]
        elif kind == "content_block_stop":
            block = message["content"][event["index"]]
            if block["type"] == "tool_use":
                block["input"] = json.loads(partial_json[event["index"]] or "{}")
        elif kind == "message_delta":
            message.update(event["delta"])
            message.setdefault("usage", {}).update(event.get("usage", {}))
        elif kind == "error":
            raise ApiError(500, json.dumps(event))
    return message
