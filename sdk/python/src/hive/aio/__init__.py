"""``hive.aio``: the Hive SDK for ``asyncio``; the same surface as ``hive`` with ``await`` / ``async for``.

.. code-block:: python

    import hive.aio

    sandbox = await hive.aio.get_or_create_sandbox("my-sandbox", {"egress": [{"access": "allow", "host": "*"}]})
    await sandbox.exec("make test", on_stdout=lambda chunk: print(chunk, end=""))
    async for event in sandbox.events(types="egress.*"):
        print(event.type, event.host)
"""
from __future__ import annotations

from typing import Any, Iterable, List, Mapping, Sequence

from .. import AuthError, ConflictError, FieldError, HiveError, NotFoundError, UnavailableError, ValidationError
from .._types import Event, HealthInfo, SandboxConfig, SecretActivity, SecretInfo
from ._approvals import AsyncApproval, AsyncApprovalStream
from ._client import AsyncHive
from ._terminal import AsyncTerminal
from ._connection import AsyncConnection
from ._events import AsyncEventStream
from ._sandbox import AsyncExecStream, AsyncSandbox, AsyncSandboxFiles
from ._secrets import AsyncSecrets

__all__ = [
    "AsyncHive", "AsyncConnection", "AsyncApproval", "AsyncApprovalStream", "AsyncTerminal", "AsyncSandbox", "AsyncSandboxFiles", "AsyncExecStream", "AsyncEventStream",
    "AsyncSecrets", "Secret", "HiveError", "NotFoundError", "ConflictError", "ValidationError", "AuthError",
    "UnavailableError", "FieldError", "create_client", "get_default_client", "set_default_client",
    "get_or_create_sandbox", "get_sandbox", "list_sandboxes", "delete_sandbox", "health", "events",
    "get_events_stream", "get_events",
]

_default: AsyncHive | None = None


def create_client(url: str | None = None, token: str | None = None, **kwargs: Any) -> AsyncHive:
    return AsyncHive(url, token, **kwargs)


def get_default_client() -> AsyncHive:
    """The client the module-level coroutines use; made from the environment on first use."""
    global _default
    if _default is None:
        _default = AsyncHive()
    return _default


def set_default_client(client: AsyncHive | None) -> None:
    global _default
    _default = client


async def get_or_create_sandbox(name: str, config: SandboxConfig | Mapping[str, Any] | None = None) -> AsyncSandbox:
    """Gets the sandbox, creating it with ``config`` when it does not exist (an existing sandbox keeps its config)."""
    return await get_default_client().get_or_create_sandbox(name, config)


async def get_sandbox(name: str) -> AsyncSandbox:
    return await get_default_client().get_sandbox(name)


async def list_sandboxes() -> List[AsyncSandbox]:
    return await get_default_client().list_sandboxes()


async def delete_sandbox(name: str) -> None:
    await get_default_client().delete_sandbox(name)


async def health() -> HealthInfo:
    return await get_default_client().health()


def events(*, types: str | Iterable[str] | None = None, after: int | None = None) -> AsyncEventStream:
    return get_default_client().events(types=types, after=after)


get_events_stream = events


async def get_events(*, types: str | Iterable[str] | None = None, after: int | None = None, limit: int | None = None) -> List[Event]:
    return await get_default_client().get_events(types=types, after=after, limit=limit)


class Secret:
    """Secrets on the default daemon: ``await Secret.create(name=..., value=..., provider=...)``, ``list()``,
    ``delete(name)``, ``rotate(name, value)``, ``activity(name)``."""

    @staticmethod
    async def create(
        *, name: str, value: str | None, provider: str | None = None, hosts: Sequence[str] | None = None,
        auth: Mapping[str, Any] | None = None, global_: bool = False, sandbox: str | None = None, **kwargs: Any,
    ) -> SecretInfo:
        return await get_default_client().secrets.create(
            name=name, value=value, provider=provider, hosts=hosts, auth=auth, global_=global_, sandbox=sandbox, **kwargs,
        )

    @staticmethod
    async def list() -> List[SecretInfo]:
        return await get_default_client().secrets.list()

    @staticmethod
    async def delete(name: str, *, sandbox: str | None = None) -> None:
        await get_default_client().secrets.delete(name, sandbox=sandbox)

    @staticmethod
    async def rotate(name: str, value: str | None, *, sandbox: str | None = None) -> SecretInfo:
        return await get_default_client().secrets.rotate(name, value, sandbox=sandbox)

    @staticmethod
    async def activity(
        name: str, *, status: str | int | None = None, limit: int | None = None, before: int | None = None, sandbox: str | None = None,
    ) -> List[SecretActivity]:
        return await get_default_client().secrets.activity(name, status=status, limit=limit, before=before, sandbox=sandbox)
