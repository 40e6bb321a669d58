"""A sandbox and the operations on it (synchronous)."""
from __future__ import annotations

from typing import Any, Callable, Generator, Iterable, Iterator, Mapping, cast

import httpx

from . import _protocol as p
from ._connection import Connection
from ._errors import HiveError
from ._events import EventStream
from ._sse import SseParser
from ._terminal import Terminal, terminal_start
from ._types import ApplyResult, Event, ExecOutput, ExecResult, FileEntry, SandboxConfig, SandboxInfo

OutputCallback = Callable[[str], Any]


class Sandbox:
    """A sandbox on a Hive daemon: its state as last read, and the operations on it."""

    def __init__(self, connection: Connection, info: SandboxInfo, created: bool = False) -> None:
        self._connection = connection
        self._path = p.sandbox_path(info["name"])
        self.created = created
        """True when the call that returned this object created the sandbox (201), False when it existed."""
        self.files = SandboxFiles(connection, self._path)
        """Files in the sandbox's mounts, read and written as the owner (recorded, not subject to the agent's ACLs)."""
        self._info: SandboxInfo = info
        self._set(info)

    def _set(self, info: SandboxInfo) -> None:
        info = cast(SandboxInfo, dict(info))
        info["url"] = p.absolute_url(self._connection.url, info.get("url"))
        self._info = info

    @property
    def name(self) -> str:
        return self._info["name"]

    @property
    def status(self) -> str:
        """``creating``, ``running``, ``stopped``, ``failed`` or ``lost``, as of the last read (see :meth:`refresh`)."""
        return self._info.get("status", "")

    @property
    def image(self) -> str | None:
        return self._info.get("image") or self._info.get("config", {}).get("image")

    @property
    def url(self) -> str:
        """Absolute URL of the sandbox's port 8080 (the default image's MCP server), through the daemon; send the
        same bearer token."""
        return self._info.get("url", "")

    @property
    def config(self) -> SandboxConfig:
        """The config as of the last read (override values redacted as ``***``)."""
        return self._info.get("config", {})

    @property
    def created_at(self) -> str:
        """RFC 3339."""
        return self._info.get("createdAt", "")

    @property
    def info(self) -> SandboxInfo:
        """The sandbox as the daemon last described it."""
        return self._info

    def __repr__(self) -> str:
        return f"<Sandbox {self.name} ({self.status})>"

    def refresh(self) -> Sandbox:
        """Reads the sandbox's state again."""
        self._set(self._connection.json("GET", self._path))
        return self

    def get_config(self) -> SandboxConfig:
        """The current config: normalised, defaults filled in, override values redacted as ``***``."""
        return cast(SandboxConfig, self._connection.json("GET", f"{self._path}/config"))

    def apply_config(self, config: SandboxConfig | Mapping[str, Any]) -> ApplyResult:
        """Applies a whole config atomically (egress, secrets, ACLs, ttl, resources can change; image, env and
        mounts cannot). Raises :class:`ValidationError` when it is invalid (400) or changes an immutable field
        (422), :class:`ConflictError` while another apply runs (409)."""
        result = p.apply_result(self._connection.json("PUT", f"{self._path}/config", json=dict(config or {})))
        if result.applied:
            self._info = cast(SandboxInfo, {**self._info, "config": result.config})
        return result

    def exec(
        self,
        command: p.Command,
        *,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        stdin: str | None = None,
        timeout_ms: int | None = None,
        on_stdout: OutputCallback | None = None,
        on_stderr: OutputCallback | None = None,
    ) -> ExecResult:
        """Runs a command to completion: an argv list (``["ls", "-la"]``) or a shell line (``"ls | wc -l"``, run by
        ``/bin/sh -c``). With ``on_stdout``/``on_stderr`` the output streams (SSE) and the callbacks see it in
        order as it comes; the result always holds all of it. A callback that raises stops the command."""
        if on_stdout is None and on_stderr is None:
            body = p.exec_body(command, cwd, env, stdin, timeout_ms)
            return p.exec_result(self._connection.json("POST", f"{self._path}/exec", json=body))
        with self.exec_stream(command, cwd=cwd, env=env, stdin=stdin, timeout_ms=timeout_ms) as run:
            for out in run:
                callback = on_stdout if out.stream == "stdout" else on_stderr
                if callback is not None:
                    callback(out.data)
            return run.result

    def exec_stream(
        self,
        command: p.Command,
        *,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        stdin: str | None = None,
        timeout_ms: int | None = None,
    ) -> ExecStream:
        """Starts a command and returns an iterator over its output as it comes (:class:`ExecOutput` chunks);
        ``stream.result`` holds the :class:`ExecResult` once the iteration is done (``stream.wait()`` runs it to
        the end). Closing the stream early (``close()``, leaving its ``with`` block) stops the command."""
        body = p.exec_body(command, cwd, env, stdin, timeout_ms)
        response = self._connection.request("POST", f"{self._path}/exec", json=body, headers={"accept": "text/event-stream"}, stream=True)
        return ExecStream(self._connection, self.name, response)

    def terminal(
        self,
        command: p.Command | None = None,
        *,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        rows: int = 24,
        cols: int = 80,
    ) -> Terminal:
        """Runs a command on a pseudo-terminal (``isatty`` is true, Ctrl-C interrupts, resize sends SIGWINCH);
        without ``command``, the login shell. A refused start (e.g. ``rows=0``) raises the daemon's typed error
        from the first ``read``/``wait``. Use it as a context manager: leaving hangs up what still runs."""
        return Terminal.open(self._connection, f"{self._path}/terminal", terminal_start(command, cwd, env, rows, cols))

    def events(self, *, types: str | Iterable[str] | None = None, after: int | None = None) -> EventStream:
        """This sandbox's events: the stored ones after ``after`` (default: from the first), then live ones as they
        happen. Reconnects with the last id seen when the connection drops or the daemon restarts: nothing is
        skipped or repeated. ``types``: patterns such as ``"egress.*"`` or ``["fs.request", "exec.*"]``."""
        return EventStream(self._connection, f"{self._path}/events", types, after)

    get_events_stream = events
    """Same as :meth:`events` (the TypeScript SDK's ``getEventsStream``)."""

    def get_events(self, *, types: str | Iterable[str] | None = None, after: int | None = None, limit: int | None = None) -> list[Event]:
        """One page of this sandbox's stored events (no waiting)."""
        return get_events_page(self._connection, f"{self._path}/events", types, after, limit)

    def shutdown(self) -> None:
        """Stops and removes the sandbox (``DELETE``); its volumes stay."""
        self._connection.request("DELETE", self._path).close()
        self._info = cast(SandboxInfo, {**self._info, "status": "stopped"})


def get_events_page(connection: Connection, path: str, types: str | Iterable[str] | None, after: int | None, limit: int | None) -> list[Event]:
    return [Event(e) for e in connection.json("GET", path + p.events_query(types, after, limit, page=True))]


class ExecStream(Iterator[ExecOutput]):
    """The output of a running command, chunk by chunk as it comes; ``result`` once it has exited."""

    def __init__(self, connection: Connection, sandbox: str, response: httpx.Response) -> None:
        self._connection = connection
        self._sandbox = sandbox
        self._response = response
        self._result: ExecResult | None = None
        self._chunks = self._run()

    @property
    def result(self) -> ExecResult:
        """The outcome; available once the iteration has ended (see :meth:`wait`)."""
        if self._result is None:
            raise HiveError("The command has not finished yet: iterate the stream to its end, or call wait().")
        return self._result

    def wait(self) -> ExecResult:
        """Reads the rest of the output (discarding it) and returns the result."""
        for _ in self:
            pass
        return self.result

    def __iter__(self) -> ExecStream:
        return self

    def __next__(self) -> ExecOutput:
        return next(self._chunks)

    def __enter__(self) -> ExecStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the request, which stops the command if it still runs."""
        self._chunks.close()
        self._response.close()

    def _run(self) -> Generator[ExecOutput, None, None]:
        response = self._response
        try:
            if "text/event-stream" not in response.headers.get("content-type", ""):
                # A daemon that does not stream answers with the whole result.
                r = self._connection.read_json(response)
                self._result = p.exec_result(r)
                if self._result.stdout:
                    yield ExecOutput("stdout", self._result.stdout)
                if self._result.stderr:
                    yield ExecOutput("stderr", self._result.stderr)
                return
            stdout: list[str] = []
            stderr: list[str] = []
            parser = SseParser()
            try:
                for chunk in response.iter_raw():
                    for frame in parser.feed_bytes(chunk):
                        if frame.event in ("stdout", "stderr"):
                            data = p.parse_frame(frame).get("data")
                            if not data:
                                continue
                            (stdout if frame.event == "stdout" else stderr).append(data)
                            yield ExecOutput(frame.event, data)  # type: ignore[arg-type]
                        elif frame.event == "exit":
                            self._result = p.exec_result(p.parse_frame(frame), "".join(stdout), "".join(stderr))
                            return
                        elif frame.event == "error":
                            problem = p.parse_frame(frame)
                            raise HiveError.from_problem(int(problem.get("status") or 500), problem, frame.data)
            except httpx.TransportError as e:
                raise p.unavailable(e, self._connection.url) from e
            raise HiveError(
                f"The exec stream of sandbox '{self._sandbox}' ended before the command's exit status arrived; the command was stopped."
            )
        finally:
            response.close()


class SandboxFiles:
    """Files in a sandbox's mounts, by absolute in-sandbox path (``/workspace/notes.md``). Access is the owner's:
    recorded in the event log, not subject to the agent's ACLs."""

    def __init__(self, connection: Connection, sandbox_path: str) -> None:
        self._connection = connection
        self._base = sandbox_path

    def read(self, path: str) -> bytes:
        """The whole content of a file."""
        response = self._connection.request("GET", p.file_path(self._base, path))
        if _is_json(response):
            response.close()
            raise HiveError(f"'{path}' is a directory; list it with files.list.", status=400)
        return response.content

    def read_text(self, path: str, encoding: str = "utf-8") -> str:
        """A file decoded as text (UTF-8 by default)."""
        return self.read(path).decode(encoding)

    def write(self, path: str, content: str | bytes | bytearray | memoryview) -> None:
        """Writes (creates or replaces) a file, creating its parent directories. ``str`` is written as UTF-8."""
        if isinstance(content, str):
            raw = content.encode("utf-8")
        elif isinstance(content, (bytes, bytearray, memoryview)):
            raw = bytes(content)
        else:
            raise TypeError("File content must be str or bytes.")
        self._connection.request("PUT", p.file_path(self._base, path), content=raw).close()

    def delete(self, path: str) -> None:
        """Deletes a file (or an empty directory)."""
        self._connection.request("DELETE", p.file_path(self._base, path)).close()

    def list(self, dir: str) -> list[FileEntry]:
        """The entries of a directory."""
        response = self._connection.request("GET", p.file_path(self._base, dir))
        if not _is_json(response):
            response.close()
            raise HiveError(f"'{dir}' is a file, not a directory.", status=400)
        return p.file_entries(self._connection.read_json(response))


def _is_json(response: httpx.Response) -> bool:
    return bool(response.headers.get("content-type", "").startswith("application/json"))
