"""HTTP requests made from inside a Hive sandbox, so that they pass its egress proxy.

The agent process runs outside the sandbox, but its model calls must not: inside, the proxy checks them
against the sandbox's egress rules, swaps the secret's stand-in for the real key on the way to the
provider's host, and records an ``llm.call`` event. So each request is run by ``curl`` in the sandbox
through a streaming exec, and its output (headers, then the body as it arrives) is read back here.
Text bodies only (JSON, server-sent events): exec output travels as text.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Mapping

import hive

# Headers curl sets itself, or that would ask for a body we cannot carry as text.
_SKIPPED = {"host", "content-length", "connection", "accept-encoding", "transfer-encoding", "expect"}


class SandboxHttpError(Exception):
    """curl in the sandbox could not get a response (refused by the proxy, name not resolved, ...)."""


@dataclass
class SandboxResponse:
    status: int
    headers: dict[str, str]
    chunks: Iterator[str] = field(repr=False)

    def text(self) -> str:
        return "".join(self.chunks)


def request(sandbox: hive.Sandbox, method: str, url: str, headers: Mapping[str, str], body: str | None) -> SandboxResponse:
    """Sends one request from inside ``sandbox`` and returns as soon as the response's headers are in;
    ``chunks`` then yields the body as the sandbox receives it."""
    argv = ["curl", "-sS", "--no-buffer", "--http1.1", "-X", method, "-D", "-", "-H", "Expect:"]
    for name, value in headers.items():
        if name.lower() not in _SKIPPED:
            argv += ["-H", f"{name}: {value}"]
    if body is not None:
        argv += ["--data-binary", "@-"]
    argv.append(url)

    stream = sandbox.exec_stream(argv, stdin=body, timeout_ms=600_000)
    outputs = iter(stream)
    pending = ""
    stderr = ""
    for out in outputs:
        if out.stream == "stderr":
            stderr += out.data
            continue
        pending += out.data
        head, sep, rest = pending.partition("\r\n\r\n")
        if not sep:
            continue
        status, parsed = _parse_head(head)
        if status == 100:  # an interim response: the real one follows
            pending = rest
            continue
        return SandboxResponse(status, parsed, _body(rest, outputs, stream))
    result = stream.result
    raise SandboxHttpError(f"curl in sandbox '{sandbox.name}' got no response from {url} (exit {result.exit_code}): {stderr.strip()}")


def _parse_head(head: str) -> tuple[int, dict[str, str]]:
    lines = head.split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


def _body(first: str, outputs: Iterator[hive.ExecOutput], stream: hive.ExecStream) -> Iterator[str]:
    try:
        if first:
            yield first
        for out in outputs:
            if out.stream == "stdout" and out.data:
                yield out.data
    finally:
        stream.close()
