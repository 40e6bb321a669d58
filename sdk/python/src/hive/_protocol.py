"""What the sync and async clients share: paths, query strings, request bodies, and reading answers (no I/O)."""
from __future__ import annotations

import errno
import json
import socket
from typing import Any, Iterable, Mapping, Sequence, Union
from urllib.parse import quote, urljoin

from ._errors import HiveError, UnavailableError
from ._sse import SseFrame
from ._types import ApplyResult, Event, ExecResult, FileEntry

# encodeURIComponent's set, as the TypeScript SDK and the daemon's own links escape.
_SAFE = "!~*'()"

Command = Union[str, Sequence[str]]
"""An argv list (``["ls", "-la"]``) or a shell line (``"ls | wc -l"``, run by ``/bin/sh -c``)."""

RECONNECT_S = 0.2
"""First wait before an event stream reconnects; doubles while the daemon stays unreachable."""
MAX_RECONNECT_S = 5.0
IDLE_S = 45.0
"""No bytes for this long (the daemon sends a keep-alive every 15 s): the connection is dead; reconnect."""


def escape(segment: str) -> str:
    return quote(segment, safe=_SAFE)


def sandbox_path(name: str) -> str:
    """``/v1/sandboxes/{name}`` with the name escaped."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("A sandbox name is required.")
    return f"/v1/sandboxes/{escape(name)}"


def secret_path(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError("A secret name is required.")
    return f"/v1/secrets/{escape(name)}"


def file_path(base: str, path: str) -> str:
    if not isinstance(path, str) or not path.strip():
        raise ValueError("A file path is required, e.g. /workspace/notes.md.")
    return f"{base}/files/" + "/".join(escape(p) for p in path.split("/") if p)


def query(params: Mapping[str, Any]) -> str:
    """A query string from the values that are not None or empty, e.g. ``?types=egress.*&after=3``."""
    parts = []
    for key, value in params.items():
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        parts.append(f"{key}={escape(str(value))}")
    return "?" + "&".join(parts) if parts else ""


def types_param(types: str | Iterable[str] | None) -> str | None:
    if types is None or isinstance(types, str):
        return types
    return ",".join(types)


def events_query(types: str | Iterable[str] | None, after: int | None, limit: int | None = None, page: bool = False) -> str:
    params: dict[str, Any] = {"follow": False} if page else {}
    params.update(types=types_param(types), after=after, limit=limit)
    return query(params)


def stream_headers(after: int | None) -> dict[str, str]:
    headers = {"accept": "text/event-stream"}
    if after is not None:
        headers["last-event-id"] = str(after)
    return headers


def exec_body(command: Command, cwd: str | None, env: Mapping[str, str] | None, stdin: str | None, timeout_ms: int | None) -> dict[str, Any]:
    if isinstance(command, str):
        if not command.strip():
            raise ValueError("exec needs a command: a non-empty string or a non-empty list of strings.")
        cmd: Any = command
    else:
        cmd = list(command)
        if not cmd or not all(isinstance(c, str) for c in cmd):
            raise ValueError("exec needs a command: a non-empty string or a non-empty list of strings.")
    body: dict[str, Any] = {"command": cmd}
    for key, value in (("cwd", cwd), ("env", dict(env) if env is not None else None), ("stdin", stdin), ("timeoutMs", timeout_ms)):
        if value is not None:
            body[key] = value
    return body


def exec_result(r: Mapping[str, Any], stdout: str | None = None, stderr: str | None = None) -> ExecResult:
    return ExecResult(
        exit_code=int(r.get("exitCode", -1)),
        stdout=r.get("stdout") or "" if stdout is None else stdout,
        stderr=r.get("stderr") or "" if stderr is None else stderr,
        duration_ms=int(r.get("durationMs") or 0),
        timed_out=bool(r.get("timedOut")),
        stdout_truncated=bool(r.get("stdoutTruncated")),
        stderr_truncated=bool(r.get("stderrTruncated")),
        note=r.get("note") if isinstance(r.get("note"), str) else None,
    )


def apply_result(r: Mapping[str, Any]) -> ApplyResult:
    return ApplyResult(bool(r.get("applied")), r.get("config") or {}, list(r.get("changes") or []), list(r.get("warnings") or []))  # type: ignore[arg-type]


def file_entries(items: Sequence[Mapping[str, Any]]) -> list[FileEntry]:
    return [FileEntry(str(e.get("name")), str(e.get("type")), int(e.get("size") or 0), str(e.get("mtime") or "")) for e in items]


def absolute_url(base: str, url: str | None) -> str:
    """The daemon may send a sandbox's URL relative to itself; callers get one they can dial."""
    if not url:
        return ""
    if url.lower().startswith(("http://", "https://")):
        return url
    # Characters a URL cannot hold (a space in a name) are escaped, as a browser's URL parser does.
    return quote(urljoin(base + "/", url), safe=":/?#[]@!$&'()*+,;=%~")


def parse_frame(frame: SseFrame) -> Any:
    try:
        return json.loads(frame.data)
    except ValueError:
        raise HiveError(f"The daemon sent an exec '{frame.event}' frame that is not JSON: {frame.data[:200]}") from None


def parse_event(frame: SseFrame) -> Event:
    try:
        value = json.loads(frame.data)
    except ValueError:
        raise HiveError(f"The daemon sent an event that is not JSON: {frame.data[:200]}") from None
    if not isinstance(value, dict):
        raise HiveError(f"The daemon sent an event that is not a JSON object: {frame.data[:200]}")
    event = Event(value)
    if not isinstance(event.get("id"), int) and frame.id and frame.id.isdigit():
        event["id"] = int(frame.id)
    return event


def parse_json(text: str, url: str, status: int) -> Any:
    try:
        return json.loads(text)
    except ValueError as e:
        raise HiveError(
            f"The daemon at {url} sent a response this client cannot read ({e}). Is HIVE_URL pointing at a Hive daemon?",
            status=status,
        ) from None


def error_from_response(status: int, reason: str, text: str, url: str, has_token: bool, token_file: str | None) -> HiveError:
    """The typed error for a non-2xx answer; its problem+json body when there is one."""
    problem = None
    if text.lstrip().startswith("{"):
        try:
            parsed = json.loads(text)
            problem = parsed if isinstance(parsed, dict) else None
        except ValueError:
            pass
    if problem is None and 0 < len(text) < 500 and not text.lstrip().startswith("<"):
        fallback = text.strip()
    else:
        fallback = f"The daemon at {url} answered {status} {reason}".rstrip() + "."
    error = HiveError.from_problem(status, problem, fallback)
    if status == 401 and not has_token:
        return HiveError.from_problem(401, {
            **(problem or {}),
            "detail": f"{error.detail} No token was found: set HIVE_TOKEN, or run as a user who can read {token_file or '$HIVE_HOME/token'}.",
        })
    return error


def unavailable(exc: BaseException, url: str) -> UnavailableError:
    """The error for a failed request: the daemon is not running there, or the connection broke."""
    reason = _os_reason(exc)
    if reason:
        error = UnavailableError(f"The Hive daemon is not running at {url} ({reason}). Start it with `hive up`, or set HIVE_URL to where it runs.")
    else:
        error = UnavailableError(f"Lost the connection to the Hive daemon at {url}: {str(exc) or type(exc).__name__}")
    error.__cause__ = exc
    return error


def _os_reason(exc: BaseException | None) -> str | None:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, socket.gaierror):
            return "host not found"
        if isinstance(exc, ConnectionRefusedError) or getattr(exc, "errno", None) == errno.ECONNREFUSED:
            return "connection refused"
        if getattr(exc, "errno", None) == errno.EHOSTUNREACH:
            return "host unreachable"
        if "Connection refused" in str(exc):
            return "connection refused"
        if "Name or service not known" in str(exc) or "Temporary failure in name resolution" in str(exc):
            return "host not found"
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None
