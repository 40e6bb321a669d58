"""Secrets on one daemon (synchronous). Values go in and never come back."""
from __future__ import annotations

from typing import Any, List, Mapping, Sequence, cast

from . import _secrets_common as s
from ._connection import Connection
from ._types import SecretActivity, SecretInfo


class Secrets:
    """``PUT/GET/DELETE /v1/secrets…``: ``create``, ``list``, ``delete``, ``rotate``, ``activity``."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def create(
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
        """Stores (creates or replaces) a secret: a catalogue ``provider`` (anthropic, openai, github, …), or custom
        ``hosts`` and ``auth`` (``{"type": "header", "name": "X-Api-Key"}``). ``global_=True`` binds it into every
        sandbox created afterwards (also accepted as ``**{"global": True}``); ``sandbox=`` scopes it to one sandbox,
        at once. ``value`` accepts ``os.environ.get(...)`` directly: a missing value is refused before sending."""
        global_ = global_ or bool(kwargs.pop("global", False))
        if kwargs:
            raise TypeError(f"Secret.create got unexpected arguments: {', '.join(kwargs)}")
        path, body = s.create_request(name, value, provider, hosts, auth, global_, sandbox)
        return cast(SecretInfo, self._connection.json("PUT", path, json=body))

    def list(self) -> List[SecretInfo]:
        """Every stored secret (without values)."""
        return cast("List[SecretInfo]", self._connection.json("GET", "/v1/secrets"))

    def delete(self, name: str, *, sandbox: str | None = None) -> None:
        """Deletes a secret: revoked at once; requests carrying its stand-in fail closed."""
        self._connection.request("DELETE", s.delete_path(name, sandbox)).close()

    def rotate(self, name: str, value: str | None, *, sandbox: str | None = None) -> SecretInfo:
        """Replaces a secret's value; bound sandboxes keep running and use the new value on their next request."""
        path, body = s.rotate_request(name, value, sandbox)
        return cast(SecretInfo, self._connection.json("POST", path, json=body))

    def activity(
        self, name: str, *, status: str | int | None = None, limit: int | None = None, before: int | None = None, sandbox: str | None = None,
    ) -> List[SecretActivity]:
        """Requests that used the secret, newest first. ``status``: a class (``"4xx"``) or an exact status."""
        return cast("List[SecretActivity]", self._connection.json("GET", s.activity_path(name, status, limit, before, sandbox)))
