"""Requests the egress proxy holds for a person (asyncio): see :mod:`hive._approvals`."""
from __future__ import annotations

from typing import Any, AsyncGenerator, List, Literal, Mapping, Sequence

import httpx

from .. import _protocol as p
from .._approvals import ApprovalDecision, ApprovalInfo, decision_body, parse_approval
from .._errors import UnavailableError
from .._events import _socket_of
from .._sse import SseParser
from ._connection import AsyncConnection
from ._events import AsyncSocketStream


class AsyncApproval(ApprovalInfo):
    """A held request; ``await a.allow()`` or ``await a.deny()`` answers it."""

    def __init__(self, connection: AsyncConnection, info: Mapping[str, Any]) -> None:
        super().__init__(info)
        self._connection = connection

    async def allow(self, scope: Literal["once", "sandbox"] = "once", *, methods: str | Sequence[str] | None = None,
                    paths: str | Sequence[str] | None = None) -> ApprovalDecision:
        return await decide(self._connection, self.id, "allow", scope, methods=methods, paths=paths)

    async def deny(self, scope: Literal["once", "sandbox"] = "once", *, methods: str | Sequence[str] | None = None,
                   paths: str | Sequence[str] | None = None) -> ApprovalDecision:
        return await decide(self._connection, self.id, "deny", scope, methods=methods, paths=paths)


async def decide(connection: AsyncConnection, id: str, decision: str, scope: str = "once", *, methods: str | Sequence[str] | None = None,
                 paths: str | Sequence[str] | None = None) -> ApprovalDecision:
    if not isinstance(id, str) or not id:
        raise ValueError("An approval id is required, e.g. apr_0123456789abcdef.")
    body = decision_body(decision, scope, methods, paths)
    return await connection.json("POST", f"/v1/approvals/{p.escape(id)}", json=body)  # type: ignore[no-any-return]


async def list_approvals(connection: AsyncConnection, sandbox: str | None = None) -> List[AsyncApproval]:
    items = await connection.json("GET", "/v1/approvals" + p.query({"sandbox": sandbox, "follow": False}))
    return [AsyncApproval(connection, info) for info in items]


class AsyncApprovalStream(AsyncSocketStream[AsyncApproval]):
    """``async for a in stream``: the requests waiting now, then each new one. ``close()`` (or the client's
    ``aclose()``) ends the iteration normally."""

    def __init__(self, connection: AsyncConnection, sandbox: str | None = None) -> None:
        super().__init__(connection)
        self._sandbox = sandbox
        self._items = self._run()

    async def _run(self) -> AsyncGenerator[AsyncApproval, None]:
        unregister = self._connection.on_close(self.close)
        try:
            try:
                response = await self._connection.request(
                    "GET", "/v1/approvals" + p.query({"sandbox": self._sandbox, "follow": True}),
                    headers={"accept": "text/event-stream"}, stream=True, timeout=httpx.Timeout(10.0, read=None),
                )
            except UnavailableError:
                if self._stopped:
                    return
                raise
            try:
                self._socket = _socket_of(response)
                if self._stopped:
                    return
                parser = SseParser()
                async for chunk in response.aiter_raw():
                    for frame in parser.feed_bytes(chunk):
                        if frame.event == "approval":
                            yield AsyncApproval(self._connection, parse_approval(frame.data, self._connection.url))
            except httpx.HTTPError as e:
                if not self._stopped:
                    raise p.unavailable(e, self._connection.url) from e
            finally:
                self._socket = None
                await response.aclose()
        finally:
            unregister()
