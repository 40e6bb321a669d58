"""Local HTTP servers on loopback: a fake of the daemon's API for client-shape tests (what the SDK sends, how it
reads answers), and the upstream that the snippets' hosts are pointed at through the daemon's upstream.hosts."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Recorded:
    method: str
    url: str
    headers: dict[str, str]
    body: str


Handler = Callable[[Recorded, BaseHTTPRequestHandler], None]


@dataclass
class LoopbackServer:
    """``url``, the ``requests`` it received (in order), and ``close()``."""

    server: ThreadingHTTPServer
    requests: list[Recorded] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def last(self) -> Recorded:
        return self.requests[-1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_server(handler: Handler) -> LoopbackServer:
    holder: list[LoopbackServer] = []

    class _Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            recorded = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            holder[0].requests.append(recorded)
            try:
                handler(recorded, self)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_PUT = do_POST = do_DELETE = _any

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    holder.append(LoopbackServer(server))
    return holder[0]


def answer(h: BaseHTTPRequestHandler, status: int, body: bytes | str = b"", content_type: str = "text/plain", headers: dict[str, str] | None = None) -> None:
    raw = body.encode() if isinstance(body, str) else body
    h.send_response(status)
    h.send_header("content-type", content_type)
    h.send_header("content-length", str(len(raw)))
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(raw)


def json_answer(h: BaseHTTPRequestHandler, status: int, body: Any, content_type: str = "application/json") -> None:
    answer(h, status, json.dumps(body), content_type)


def problem(h: BaseHTTPRequestHandler, status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None) -> None:
    body: dict[str, Any] = {"type": f"https://hive.dev/problems/{status}", "title": title, "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    json_answer(h, status, body, "application/problem+json")


def start_sse(h: BaseHTTPRequestHandler) -> None:
    """Headers of an event stream whose body runs until the connection closes (HTTP/1.0 style)."""
    h.send_response(200)
    h.send_header("content-type", "text/event-stream")
    h.send_header("connection", "close")
    h.end_headers()


def sse_event(h: BaseHTTPRequestHandler, event: dict[str, Any]) -> None:
    h.wfile.write(f"id: {event['id']}\nevent: {event['type']}\ndata: {json.dumps(event)}\n\n".encode())
    h.wfile.flush()


def sandbox_info(base: str, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "status": "running",
        "image": "hive/base",
        "config": {
            "image": "hive/base", "env": {}, "secrets": {},
            "fs": [{"backend": "local", "mount": "/workspace", "volume": f"{name}-workspace", "acls": [{"path": "/workspace/**", "access": "rw"}]}],
            "egress": [], "ttl": 0, "resources": {"cpus": 1, "memoryMb": 1024, "pids": 512},
        },
        "url": f"{base}/sandboxes/{name}/",
        "createdAt": "2026-01-01T00:00:00Z",
    }
