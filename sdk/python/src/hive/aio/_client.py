"""The asyncio client of one Hive daemon."""
from __future__ import annotations

from typing import Any, Iterable, List, Mapping

import httpx

from .. import _protocol as p
from .._types import Event, HealthInfo, SandboxConfig
from .._approvals import ApprovalDecision
from ._approvals import AsyncApproval, AsyncApprovalStream, decide, list_approvals
from ._connection import AsyncConnection
from ._events import AsyncEventStream
from ._sandbox import AsyncSandbox, get_events_page
from ._secrets import AsyncSecrets


class AsyncHive:
    """A client of one Hive daemon for ``asyncio``; the same surface as :class:`hive.Hive` with ``await``.
    ``async with AsyncHive(url, token) as client`` (or ``await client.aclose()``) releases its connections."""

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        timeout: httpx.Timeout | float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.connection = AsyncConnection(url, token, timeout=timeout, transport=transport)
        self.secrets = AsyncSecrets(self.connection)

    @property
    def url(self) -> str:
        return self.connection.url

    async def __aenter__(self) -> AsyncHive:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def get_or_create_sandbox(self, name: str, config: SandboxConfig | Mapping[str, Any] | None = None) -> AsyncSandbox:
        response = await self.connection.request("PUT", p.sandbox_path(name), json=dict(config or {}), headers={"accept": "application/json"})
        return AsyncSandbox(self.connection, await self.connection.read_json(response), response.status_code == 201)

    async def get_sandbox(self, name: str) -> AsyncSandbox:
        return AsyncSandbox(self.connection, await self.connection.json("GET", p.sandbox_path(name)))

    async def list_sandboxes(self) -> List[AsyncSandbox]:
        return [AsyncSandbox(self.connection, info) for info in await self.connection.json("GET", "/v1/sandboxes")]

    async def delete_sandbox(self, name: str) -> None:
        await (await self.connection.request("DELETE", p.sandbox_path(name))).aclose()

    async def health(self) -> HealthInfo:
        return await self.connection.json("GET", "/v1/health")  # type: ignore[no-any-return]

    def events(self, *, types: str | Iterable[str] | None = None, after: int | None = None) -> AsyncEventStream:
        return AsyncEventStream(self.connection, "/v1/events", types, after)

    get_events_stream = events

    async def get_events(self, *, types: str | Iterable[str] | None = None, after: int | None = None, limit: int | None = None) -> List[Event]:
        return await get_events_page(self.connection, "/v1/events", types, after, limit)

    def approvals(self, *, sandbox: str | None = None) -> AsyncApprovalStream:
        """Requests held for a person, as they come (those waiting now first): ``async for a in client.approvals()``."""
        return AsyncApprovalStream(self.connection, sandbox)

    async def list_approvals(self, *, sandbox: str | None = None) -> List[AsyncApproval]:
        """The requests waiting for a decision now, oldest first."""
        return await list_approvals(self.connection, sandbox)

    async def decide_approval(self, id: str, decision: str, scope: str = "once", *, methods: str | Iterable[str] | None = None,
                              paths: str | Iterable[str] | None = None) -> ApprovalDecision:
        """Answers a held request by id (``decision``: ``allow`` or ``deny``)."""
        return await decide(self.connection, id, decision, scope, methods=methods, paths=paths)  # type: ignore[arg-type]

    def close(self) -> None:
        """Ends every open event stream of this client (they finish normally); ``aclose()`` also closes its pool."""
        self.connection.close()

    async def aclose(self) -> None:
        await self.connection.aclose()
