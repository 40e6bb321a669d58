"""A minimal MCP client over Streamable HTTP: enough to list and call the tools of a sandbox's MCP
server at ``sandbox.url``. (The ``mcp`` package does this fully; this keeps the example dependency-free.)"""
from __future__ import annotations

import itertools
import json
from typing import Any

import httpx

PROTOCOL_VERSION = "2025-06-18"


class McpError(Exception):
    pass


class McpClient:
    def __init__(self, url: str, token: str) -> None:
        self._url = url
        self._http = httpx.Client(timeout=httpx.Timeout(30.0, read=660.0))
        self._headers = {
            "authorization": f"Bearer {token}",
            "accept": "application/json, text/event-stream",
            "content-type": "application/json",
        }
        self._ids = itertools.count(1)

    def __enter__(self) -> McpClient:
        self.initialize()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def initialize(self) -> dict[str, Any]:
        result = self._call("initialize", {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "hive-example-agent", "version": "1.0.0"},
        })
        self._headers["mcp-protocol-version"] = result.get("protocolVersion", PROTOCOL_VERSION)
        self._notify("notifications/initialized")
        return result

    def list_tools(self) -> list[dict[str, Any]]:
        return list(self._call("tools/list", {})["tools"])

    def call_tool(self, name: str, arguments: dict[str, Any]) -> tuple[str, bool]:
        """The tool's text output and whether it reported an error."""
        result = self._call("tools/call", {"name": name, "arguments": arguments})
        text = "\n".join(c.get("text", "") for c in result.get("content", []) if c.get("type") == "text")
        return text, bool(result.get("isError"))

    def close(self) -> None:
        if "mcp-session-id" in self._headers:
            try:
                self._http.delete(self._url, headers=self._headers)
            except httpx.HTTPError:
                pass
        self._http.close()

    def _notify(self, method: str) -> None:
        self._http.post(self._url, headers=self._headers, json={"jsonrpc": "2.0", "method": method}).raise_for_status()

    def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        request_id = next(self._ids)
        body = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        with self._http.stream("POST", self._url, headers=self._headers, json=body) as response:
            if response.status_code >= 400:
                raise McpError(f"MCP {method} answered {response.status_code}: {response.read().decode(errors='replace')[:500]}")
            if "mcp-session-id" in response.headers:
                self._headers["mcp-session-id"] = response.headers["mcp-session-id"]
            if response.headers.get("content-type", "").startswith("text/event-stream"):
                message = _first_response(response.iter_lines(), request_id)
            else:
                message = json.loads(response.read())
        if "error" in message:
            raise McpError(f"MCP {method} failed: {message['error'].get('message')}")
        return dict(message["result"])


def _first_response(lines: Any, request_id: int) -> dict[str, Any]:
    """The JSON-RPC response with ``request_id`` among the server-sent events (a last event may end without a blank line)."""
    data: list[str] = []
    for line in itertools.chain(lines, [""]):
        line = line.rstrip("\r")
        if line.startswith("data:"):
            data.append(line[5:].lstrip())
        elif line == "" and data:
            message = json.loads("\n".join(data))
            data = []
            if message.get("id") == request_id:
                return dict(message)
    raise McpError("the MCP server closed the stream without answering")
