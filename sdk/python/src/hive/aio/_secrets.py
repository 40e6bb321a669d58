"""Secrets on one daemon (asyncio). Values go in and never come back."""
from __future__ import annotations

from typing import Any, List, Mapping, Sequence, cast

from .. import _secrets_common as s
from .._types import SecretActivity, SecretInfo
from ._connection import AsyncConnection


class AsyncSecrets:
    """See :class:`hive.Secrets`."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def create(
        self,
        *,
        name: str,
        value: str | None,
        provider: str | None = None,
        hosts: Sequence[str] | None = None,
        auth: Mapping[str, Any] | None = None,
        global_: bool = False,
        sandbox: str | None = None,
        **kwargs: Any,
    ) -> SecretInfo:
        global_ = global_ or bool(kwargs.pop("global", False))
        if kwargs:
            raise TypeError(f"Secret.create got unexpected arguments: {', '.join(kwargs)}")
        path, body = s.create_request(name, value, provider, hosts, auth, global_, sandbox)
        return cast(SecretInfo, await self._connection.json("PUT", path, json=body))

    async def list(self) -> List[SecretInfo]:
        return cast(List[SecretInfo], await self._connection.json("GET", "/v1/secrets"))

    async def delete(self, name: str, *, sandbox: str | None = None) -> None:
        await (await self._connection.request("DELETE", s.delete_path(name, sandbox))).aclose()

    async def rotate(self, name: str, value: str | None, *, sandbox: str | None = None) -> SecretInfo:
        path, body = s.rotate_request(name, value, sandbox)
        return cast(SecretInfo, await self._connection.json("POST", path, json=body))

    async def activity(
        self, name: str, *, status: str | int | None = None, limit: int | None = None, before: int | None = None, sandbox: str | None = None,
    ) -> List[SecretActivity]:
        return cast(List[SecretActivity], await self._connection.json("GET", s.activity_path(name, status, limit, before, sandbox)))
