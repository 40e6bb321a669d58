"""``hive``: the Python SDK of Hive, governed sandboxes for AI agents.

.. code-block:: python

    import hive

    sandbox = hive.get_or_create_sandbox("my-sandbox", {"egress": [{"access": "allow", "host": "api.github.com"}]})
    print(sandbox.exec("git --version").stdout)
    for event in sandbox.events(types="egress.*"):
        print(event.type, event.host)

The functions below use a default client made from the environment; ``hive.Hive(url, token)`` makes others.
``hive.aio`` holds the same API for ``asyncio``.
"""
from __future__ import annotations

import threading
from typing import Any, List, Iterable, Mapping, Sequence

from ._approvals import Approval, ApprovalDecision, ApprovalInfo, ApprovalStream
from ._client import Hive
from ._connection import Connection
from ._errors import AuthError, ConflictError, FieldError, HiveError, NotFoundError, UnavailableError, ValidationError
from ._events import EventStream
from ._sandbox import ExecStream, Sandbox, SandboxFiles
from ._secrets import Secrets
from ._settings import ConnectionSettings, listen_to_url, resolve_connection
from ._sse import SseFrame, SseParser
from ._terminal import Terminal
from ._types import (
    AclRule, ApplyResult, EgressGroups, EgressOverride, EgressRule, Event, ExecOutput, ExecResult, FileEntry, FsMount,
    HealthInfo, Resources, SandboxConfig, SandboxInfo, SecretActivity, SecretAuth, SecretInfo,
)

__version__ = "0.1.0"

__all__ = [
    "Hive", "Connection", "Sandbox", "Terminal", "Approval", "ApprovalDecision", "ApprovalInfo", "ApprovalStream", "SandboxFiles", "ExecStream", "EventStream", "Secrets", "Secret",
    "HiveError", "NotFoundError", "ConflictError", "ValidationError", "AuthError", "UnavailableError", "FieldError",
    "AclRule", "ApplyResult", "EgressGroups", "EgressOverride", "EgressRule", "Event", "ExecOutput", "ExecResult",
    "FileEntry", "FsMount", "HealthInfo", "Resources", "SandboxConfig", "SandboxInfo", "SecretActivity", "SecretAuth",
    "SecretInfo", "ConnectionSettings", "SseFrame", "SseParser",
    "create_client", "get_default_client", "set_default_client", "resolve_connection", "listen_to_url",
    "get_or_create_sandbox", "get_sandbox", "list_sandboxes", "delete_sandbox", "health", "events",
    "get_events_stream", "get_events", "approvals", "list_approvals",
]

_default: Hive | None = None
_default_lock = threading.Lock()


def create_client(url: str | None = None, token: str | None = None, **kwargs: Any) -> Hive:
    """A client for a given daemon, e.g. ``create_client("http://127.0.0.1:9000", token)``; same as ``Hive(...)``."""
    return Hive(url, token, **kwargs)


def get_default_client() -> Hive:
    """The client the module-level functions use; made from the environment on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Hive()
        return _default


def set_default_client(client: Hive | None) -> None:
    """Replaces the default client (``None``: read the environment again on next use)."""
    global _default
    with _default_lock:
        _default = client


def get_or_create_sandbox(name: str, config: SandboxConfig | Mapping[str, Any] | None = None) -> Sandbox:
    """Gets the sandbox, creating it with ``config`` when it does not exist (an existing sandbox keeps its config)."""
    return get_default_client().get_or_create_sandbox(name, config)


def get_sandbox(name: str) -> Sandbox:
    """The sandbox; :class:`NotFoundError` when there is none by that name."""
    return get_default_client().get_sandbox(name)


def list_sandboxes() -> list[Sandbox]:
    """Every sandbox on the daemon."""
    return get_default_client().list_sandboxes()


def delete_sandbox(name: str) -> None:
    """Stops and removes a sandbox; its volumes stay."""
    get_default_client().delete_sandbox(name)


def health() -> HealthInfo:
    """Liveness and version of the daemon."""
    return get_default_client().health()


def events(*, types: str | Iterable[str] | None = None, after: int | None = None) -> EventStream:
    """Events of every sandbox, stored then live, resuming across reconnects."""
    return get_default_client().events(types=types, after=after)


get_events_stream = events


def get_events(*, types: str | Iterable[str] | None = None, after: int | None = None, limit: int | None = None) -> list[Event]:
    """One page of stored events of every sandbox."""
    return get_default_client().get_events(types=types, after=after, limit=limit)


def approvals(*, sandbox: str | None = None) -> ApprovalStream:
    """Requests held for a person on the default daemon, as they come (those waiting now first)."""
    return get_default_client().approvals(sandbox=sandbox)


def list_approvals(*, sandbox: str | None = None) -> list[Approval]:
    """The requests waiting for a decision now on the default daemon."""
    return get_default_client().list_approvals(sandbox=sandbox)


class Secret:
    """Secrets on the default daemon: ``Secret.create(name=..., value=..., provider=...)``, ``list()``,
    ``delete(name)``, ``rotate(name, value)``, ``activity(name)``. Values go in and never come back."""

    @staticmethod
    def create(
        *, name: str, value: str | None, provider: str | None = None, hosts: Sequence[str] | None = None,
        auth: Mapping[str, Any] | None = None, global_: bool = False, sandbox: str | None = None, **kwargs: Any,
    ) -> SecretInfo:
        return get_default_client().secrets.create(
            name=name, value=value, provider=provider, hosts=hosts, auth=auth, global_=global_, sandbox=sandbox, **kwargs,
        )

    @staticmethod
    def list() -> List[SecretInfo]:
        return get_default_client().secrets.list()

    @staticmethod
    def delete(name: str, *, sandbox: str | None = None) -> None:
        get_default_client().secrets.delete(name, sandbox=sandbox)

    @staticmethod
    def rotate(name: str, value: str | None, *, sandbox: str | None = None) -> SecretInfo:
        return get_default_client().secrets.rotate(name, value, sandbox=sandbox)

    @staticmethod
    def activity(
        name: str, *, status: str | int | None = None, limit: int | None = None, before: int | None = None, sandbox: str | None = None,
    ) -> List[SecretActivity]:
        return get_default_client().secrets.activity(name, status=status, limit=limit, before=before, sandbox=sandbox)
