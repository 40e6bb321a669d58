"""Requests the egress proxy holds for a person: list them, follow them as they come, allow or deny each
(docs/api.md, "Approvals")."""
from __future__ import annotations

import json
from typing import Any, Generator, List, Literal, Mapping, Optional, Sequence, TypedDict

import httpx

from . import _protocol as p
from ._connection import Connection
from ._errors import HiveError, UnavailableError
from ._events import SocketStream, _socket_of
from ._sse import SseParser


class ApprovalDecision(TypedDict, total=False):
    """What the daemon answers to a decision."""

    id: str
    decision: Literal["allow", "deny"]
    by: str
    reason: str
    scope: Literal["once", "sandbox"]
    rule: Mapping[str, Any]
    """With ``scope="sandbox"``: the rule added to the sandbox's config."""
    ruleIndex: int
    waiters: int


class ApprovalInfo:
    """A held request (or raw flow), as ``GET /v1/approvals`` lists it."""

    def __init__(self, info: Mapping[str, Any]) -> None:
        self.info: dict[str, Any] = dict(info)
        """The daemon's description as it came."""
        self.id: str = info["id"]
        """``apr_`` and 16 hex digits."""
        self.sandbox: str = info.get("sandbox", "")
        self.kind: str = info.get("kind", "")
        """``http``, ``https`` (a request), ``tcp`` or ``tls`` (a raw flow)."""
        self.host: str = info.get("host", "")
        self.port: int = info.get("port", 0)
        self.method: str = info.get("method", "")
        """The HTTP method, or ``TCP``/``TLS`` for a raw flow."""
        self.path: Optional[str] = info.get("path")
        """The request's normalised path; ``None`` for a raw flow."""
        self.rule: Optional[int] = info.get("rule")
        """Index of the ask rule that matched; ``None`` when ``egressDefault: "ask"`` held it."""
        self.waiters: int = info.get("waiters", 0)
        """Identical requests waiting together share one approval."""
        self.created_at: str = info.get("createdAt", "")
        self.expires_at: str = info.get("expiresAt", "")

    def __repr__(self) -> str:
        return f"<Approval {self.id} {self.sandbox}: {self.method} {self.host}:{self.port}{self.path or ''}>"


class Approval(ApprovalInfo):
    """A held request; ``allow()`` or ``deny()`` answers it."""

    def __init__(self, connection: Connection, info: Mapping[str, Any]) -> None:
        super().__init__(info)
        self._connection = connection

    def allow(self, scope: Literal["once", "sandbox"] = "once", *, methods: str | Sequence[str] | None = None,
              paths: str | Sequence[str] | None = None) -> ApprovalDecision:
        """Lets it through: ``once``, or ``scope="sandbox"`` to also add an allow rule for its host and port to the
        sandbox's config (narrowed to ``methods`` / URL path globs ``paths`` such as ``/repos/**``)."""
        return decide(self._connection, self.id, "allow", scope, methods=methods, paths=paths)

    def deny(self, scope: Literal["once", "sandbox"] = "once", *, methods: str | Sequence[str] | None = None,
             paths: str | Sequence[str] | None = None) -> ApprovalDecision:
        """Refuses it (403): ``once``, or ``scope="sandbox"`` to also add a deny rule."""
        return decide(self._connection, self.id, "deny", scope, methods=methods, paths=paths)


def decision_body(decision: str, scope: str, methods: str | Sequence[str] | None, paths: str | Sequence[str] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"decision": decision, "scope": scope}
    rule = {k: [v] if isinstance(v, str) else list(v) for k, v in (("methods", methods), ("paths", paths)) if v is not None}
    if rule:
        body["rule"] = rule
    return body


def decide(connection: Connection, id: str, decision: str, scope: str = "once", *, methods: str | Sequence[str] | None = None,
           paths: str | Sequence[str] | None = None) -> ApprovalDecision:
    """Answers a held request by id; the daemon's errors as typed errors (409 when it no longer waits)."""
    if not isinstance(id, str) or not id:
        raise ValueError("An approval id is required, e.g. apr_0123456789abcdef.")
    body = decision_body(decision, scope, methods, paths)
    return connection.json("POST", f"/v1/approvals/{p.escape(id)}", json=body)  # type: ignore[no-any-return]


def list_approvals(connection: Connection, sandbox: str | None = None) -> List[Approval]:
    return [Approval(connection, info) for info in connection.json("GET", "/v1/approvals" + p.query({"sandbox": sandbox, "follow": False}))]


class ApprovalStream(SocketStream[Approval]):
    """``for a in stream``: the requests waiting now, then each new one as the proxy holds it. ``close()`` (from any
    thread, or the client's ``close()``) ends the iteration normally; so does leaving a ``with`` block. A broken
    connection raises :class:`UnavailableError` (follow again: the waiting ones come first)."""

    def __init__(self, connection: Connection, sandbox: str | None = None) -> None:
        super().__init__(connection)
        self._sandbox = sandbox
        self._items = self._run()

    def _run(self) -> Generator[Approval, None, None]:
        unregister = self._connection.on_close(self.close)
        try:
            try:
                response = self._connection.request(
                    "GET", "/v1/approvals" + p.query({"sandbox": self._sandbox, "follow": True}),
                    headers={"accept": "text/event-stream"}, stream=True, timeout=httpx.Timeout(10.0, read=None),
                )
            except UnavailableError:
                if self._stop.is_set():
                    return  # the client closed while connecting
                raise
            try:
                with self._lock:
                    self._socket = _socket_of(response)
                if self._stop.is_set():
                    return  # closed while connecting
                parser = SseParser()
                for chunk in response.iter_raw():
                    for frame in parser.feed_bytes(chunk):
                        if frame.event == "approval":
                            yield Approval(self._connection, parse_approval(frame.data, self._connection.url))
            except httpx.HTTPError as e:
                if not self._stop.is_set():
                    raise p.unavailable(e, self._connection.url) from e
            finally:
                with self._lock:
                    self._socket = None
                response.close()
        finally:
            unregister()


def parse_approval(data: str, url: str) -> Mapping[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        value = None
    if not isinstance(value, dict) or "id" not in value:
        raise HiveError(f"The daemon at {url} sent an approval that is not a JSON object with an id: {data[:200]}")
    return value
