"""Request bodies of the secrets API, shared by the sync and async clients. Values are never echoed in messages."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from . import _protocol as p


def require_value(value: object, name: str) -> str:
    if not isinstance(value, str) or value == "":
        raise ValueError(f"Secret '{name}' needs a non-empty string value (is the environment variable it comes from set?).")
    return value


def create_request(
    name: str,
    value: str | None,
    provider: str | None,
    hosts: Sequence[str] | None,
    auth: Mapping[str, Any] | None,
    global_: bool,
    sandbox: str | None,
) -> tuple[str, dict[str, Any]]:
    path = p.secret_path(name)
    body: dict[str, Any] = {"value": require_value(value, name)}
    if not provider and not hosts:
        raise ValueError(f"Secret '{name}' needs a provider or custom hosts.")
    if global_ and sandbox:
        raise ValueError(f"Secret '{name}' can be global or scoped to one sandbox, not both.")
    for key, v in (("provider", provider), ("hosts", list(hosts) if hosts else None), ("auth", dict(auth) if auth else None),
                   ("global", True if global_ else None), ("sandbox", sandbox)):
        if v is not None:
            body[key] = v
    return path, body


def rotate_request(name: str, value: str | None, sandbox: str | None) -> tuple[str, dict[str, Any]]:
    path = p.secret_path(name) + "/rotate"
    body: dict[str, Any] = {"value": require_value(value, name)}
    if sandbox is not None:
        body["sandbox"] = sandbox
    return path, body


def activity_path(name: str, status: str | int | None, limit: int | None, before: int | None, sandbox: str | None) -> str:
    return p.secret_path(name) + "/activity" + p.query({"status": status, "limit": limit, "before": before, "sandbox": sandbox})


def delete_path(name: str, sandbox: str | None) -> str:
    return p.secret_path(name) + p.query({"sandbox": sandbox})
