"""A loopback server that answers like the Anthropic Messages API, for the examples' tests.

HTTPS with a certificate for api.anthropic.com from a throwaway CA (made with the openssl CLI), streamed
server-sent events, and a short scripted conversation with tool use:

* first run (the system prompt holds no notes): ``write`` findings.md, then ``bash`` to count its lines,
  then a final text;
* a later run (the notes mention findings.md): ``bash`` appends a line that says it continued, then a
  final text.

It records every request (headers and body) so that the test can check which key arrived.
"""
from __future__ import annotations

import json
import ssl
import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HOST = "api.anthropic.com"


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """CA certificate, leaf certificate and leaf key for HOST."""
    ca_key, ca_pem = directory / "ca.key", directory / "ca.pem"
    key, csr, pem, ext = directory / "leaf.key", directory / "leaf.csr", directory / "leaf.pem", directory / "leaf.ext"
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca_pem),
            "-days", "2", "-subj", "/CN=hive examples test CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={HOST}")
    ext.write_text(f"subjectAltName=DNS:{HOST}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_pem), "-CAkey", str(ca_key), "-CAcreateserial",
            "-out", str(pem), "-days", "2", "-extfile", str(ext))
    return ca_pem, pem, key


class FakeAnthropic:
    def __init__(self, directory: Path, expected_key: str) -> None:
        self.ca_pem, cert, key = make_certificates(directory)
        self.expected_key = expected_key
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake._lock:
                    fake.seen.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if self.path != "/v1/messages":
                    return self._json(404, {"type": "error", "error": {"type": "not_found_error", "message": self.path}})
                # The API takes the key as x-api-key, or as a bearer token (what @anthropic-ai/sdk 1.x sends).
                bearer = self.headers.get("authorization", "").removeprefix("Bearer ")
                if fake.expected_key not in (self.headers.get("x-api-key"), bearer):
                    return self._json(401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})
                blocks, stop = script(body)
                if body.get("stream"):
                    self._stream(body.get("model", "claude"), blocks, stop)
                else:
                    self._json(200, message(body.get("model", "claude"), blocks, stop))

            def _json(self, status: int, value: Any) -> None:
                data = json.dumps(value).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, model: str, blocks: list[dict[str, Any]], stop: str) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for event in stream_events(model, blocks, stop):
                    frame = f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
                    self.wfile.write(f"{len(frame):x}\r\n".encode() + frame + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"https://{HOST}:{self.port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def script(body: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """The next assistant turn: what the conversation so far calls for."""
    messages = body.get("messages", [])
    done = sum(1 for m in messages if m["role"] == "user" and isinstance(m["content"], list)
               and any(b.get("type") == "tool_result" for b in m["content"]))
    continuing = "findings.md" in str(body.get("system", ""))
    if continuing:
        steps = [
            [text("My notes say findings.md exists; I will add to it."),
             tool("bash", {"command": "echo '- second run: continued from my notes' >> /workspace/findings.md && cat /workspace/findings.md"})],
        ]
        final = "Appended a line to findings.md, continuing from my notes."
    else:
        steps = [
            [text("I will start a findings file."),
             tool("write", {"path": "/workspace/findings.md", "content": "# Findings\n- first run: started\n"})],
            [tool("bash", {"command": "wc -l < /workspace/findings.md"})],
        ]
        final = "Created findings.md in /workspace."
    if done < len(steps):
        return [{**b, "id": f"toolu_{done}_{i}"} if b["type"] == "tool_use" else b for i, b in enumerate(steps[done])], "tool_use"
    return [text(final)], "end_turn"


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def tool(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool_use", "id": "", "name": name, "input": arguments}


def usage_of(blocks: list[dict[str, Any]]) -> tuple[int, int]:
    return 120, 10 + sum(len(json.dumps(b)) // 8 for b in blocks)


def message(model: str, blocks: list[dict[str, Any]], stop: str) -> dict[str, Any]:
    input_tokens, output_tokens = usage_of(blocks)
    return {"id": "msg_fake", "type": "message", "role": "assistant", "model": model, "content": blocks,
            "stop_reason": stop, "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens}}


def stream_events(model: str, blocks: list[dict[str, Any]], stop: str) -> list[dict[str, Any]]:
    input_tokens, output_tokens = usage_of(blocks)
    start = message(model, [], None)  # type: ignore[arg-type]
    start["usage"] = {"input_tokens": input_tokens, "output_tokens": 1}
    events: list[dict[str, Any]] = [{"type": "message_start", "message": start}]
    for index, block in enumerate(blocks):
        if block["type"] == "text":
            events.append({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}})
            words = block["text"].split(" ")
            for i, word in enumerate(words):  # a delta per word, as the real API streams
                events.append({"type": "content_block_delta", "index": index,
                               "delta": {"type": "text_delta", "text": word + (" " if i < len(words) - 1 else "")}})
        else:
            events.append({"type": "content_block_start", "index": index,
                           "content_block": {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}})
            arguments = json.dumps(block["input"])
            half = len(arguments) // 2
            for part in (arguments[:half], arguments[half:]):
                events.append({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": part}})
        events.append({"type": "content_block_stop", "index": index})
    events.append({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None}, "usage": {"output_tokens": output_tokens}})
    events.append({"type": "message_stop"})
    return events
