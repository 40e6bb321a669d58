"""Typed errors: what the daemon answered (an RFC 7807 problem) or why it could not be reached."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class FieldError:
    """One invalid field of a request, by JSON path (e.g. ``egress[2].ports[0]``)."""

    path: str
    message: str


class HiveError(Exception):
    """An error the daemon answered with, or a failure to reach it.

    ``str(error)`` and ``detail`` are the problem's detail: a sentence a person can act on.
    """

    status: int
    """HTTP status; 0 when the daemon was not reached."""
    title: str | None
    detail: str
    type: str | None
    """The problem type URI, when the daemon gave one."""
    errors: list[FieldError]
    """Field errors of a validation failure; empty otherwise."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        title: str | None = None,
        type: str | None = None,
        errors: list[FieldError] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.detail = message
        self.type = type
        self.errors = list(errors or [])

    @property
    def message(self) -> str:
        """Same as ``detail``."""
        return self.detail

    def __str__(self) -> str:
        return self.detail

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, detail={self.detail!r})"

    @staticmethod
    def from_problem(status: int, problem: Mapping[str, Any] | None, fallback: str | None = None) -> HiveError:
        """The typed error for an HTTP status and its problem body."""
        problem = problem or {}
        detail = problem.get("detail") or problem.get("title") or fallback or f"The daemon answered HTTP {status}."
        raw_errors = problem.get("errors")
        errors = (
            [FieldError(str(e.get("path")), str(e.get("message"))) for e in raw_errors if isinstance(e, Mapping)]
            if isinstance(raw_errors, list)
            else []
        )
        cls = _BY_STATUS.get(status, HiveError)
        title = problem.get("title")
        kind = problem.get("type")
        return cls(
            str(detail),
            status=status,
            title=title if isinstance(title, str) else None,
            type=kind if isinstance(kind, str) else None,
            errors=errors,
        )


class NotFoundError(HiveError):
    """404: the sandbox, file, secret or other resource does not exist."""


class ConflictError(HiveError):
    """409: the request conflicts with the current state (e.g. another config apply is running)."""


class ValidationError(HiveError):
    """400 or 422 (an immutable field changed): the request is invalid; ``errors`` holds the JSON paths."""


class AuthError(HiveError):
    """401 or 403: no token, a wrong token, or not allowed."""


class UnavailableError(HiveError):
    """The daemon could not be reached (not running, wrong address, connection lost), or a gateway said 502-504."""


_BY_STATUS: dict[int, type[HiveError]] = {
    400: ValidationError,
    422: ValidationError,
    401: AuthError,
    403: AuthError,
    404: NotFoundError,
    409: ConflictError,
    502: UnavailableError,
    503: UnavailableError,
    504: UnavailableError,
}
