"""The synchronous client of one Hive daemon."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import httpx

from . import _protocol as p
from ._approvals import Approval, ApprovalDecision, ApprovalStream, decide, list_approvals
from ._connection import Connection
from ._events import EventStream
from ._sandbox import Sandbox, get_events_page
from ._secrets import Secrets
from ._types import Event, HealthInfo, SandboxConfig


class Hive:
    """A client of one Hive daemon. ``Hive()`` reads ``HIVE_URL``/``HIVE_TOKEN``, else ``HIVE_LISTEN`` and
    ``$HIVE_HOME/token``; ``Hive(url, token)`` talks to a given daemon. Thread-safe; use it as a context manager
    or call :meth:`close` to release its connections."""

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        timeout: httpx.Timeout | float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.connection = Connection(url, token, timeout=timeout, transport=transport)
        self.secrets = Secrets(self.connection)
        """Secrets on this daemon."""

    @property
    def url(self) -> str:
        """The daemon's base URL."""
        return self.connection.url

    def __enter__(self) -> Hive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_or_create_sandbox(self, name: str, config: SandboxConfig | Mapping[str, Any] | None = None) -> Sandbox:
        """Gets the sandbox, creating it with ``config`` when it does not exist (an existing sandbox keeps its config)."""
        response = self.connection.request("PUT", p.sandbox_path(name), json=dict(config or {}), headers={"accept": "application/json"})
        return Sandbox(self.connection, self.connection.read_json(response), response.status_code == 201)

    def get_sandbox(self, name: str) -> Sandbox:
        """The sandbox; :class:`NotFoundError` when there is none by that name."""
        return Sandbox(self.connection, self.connection.json("GET", p.sandbox_path(name)))

    def list_sandboxes(self) -> list[Sandbox]:
        return [Sandbox(self.connection, info) for info in self.connection.json("GET", "/v1/sandboxes")]

    def delete_sandbox(self, name: str) -> None:
        """Stops and removes a sandbox; its volumes stay."""
        self.connection.request("DELETE", p.sandbox_path(name)).close()

    def health(self) -> HealthInfo:
        """Liveness and version; needs no token."""
        return self.connection.json("GET", "/v1/health")  # type: ignore[no-any-return]

    def events(self, *, types: str | Iterable[str] | None = None, after: int | None = None) -> EventStream:
        """Events of every sandbox: stored ones after ``after``, then live; resumes across reconnects."""
        return EventStream(self.connection, "/v1/events", types, after)

    get_events_stream = events

    def get_events(self, *, types: str | Iterable[str] | None = None, after: int | None = None, limit: int | None = None) -> list[Event]:
        """One page of stored events of every sandbox."""
        return get_events_page(self.connection, "/v1/events", types, after, limit)

    def approvals(self, *, sandbox: str | None = None) -> ApprovalStream:
        """Requests the egress proxy holds for a person, as they come (those waiting now first):
        ``for a in hive.approvals(): a.allow()``. Ends when closed (or the client closes)."""
        return ApprovalStream(self.connection, sandbox)

    def list_approvals(self, *, sandbox: str | None = None) -> list[Approval]:
        """The requests waiting for a decision now, oldest first (across sandboxes, or of one)."""
        return list_approvals(self.connection, sandbox)

    def decide_approval(self, id: str, decision: str, scope: str = "once", *, methods: str | Iterable[str] | None = None,
                        paths: str | Iterable[str] | None = None) -> ApprovalDecision:
        """Answers a held request by id (``decision``: ``allow`` or ``deny``)."""
        return decide(self.connection, id, decision, scope, methods=methods, paths=paths)  # type: ignore[arg-type]

    def close(self) -> None:
        """Ends every open event stream of this client (they finish normally) and closes its connections."""
        self.connection.close()
