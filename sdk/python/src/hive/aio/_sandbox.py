"""A sandbox and the operations on it (asyncio)."""
from __future__ import annotations

import inspect
from typing import Any, AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable, List, Mapping, Union, cast

import httpx

from .. import _protocol as p
from .._errors import HiveError
from .._sandbox import _is_json
from .._sse import SseParser
from .._terminal import terminal_start
from .._types import ApplyResult, Event, ExecOutput, ExecResult, FileEntry, SandboxConfig, SandboxInfo
from ._connection import AsyncConnection
from ._events import AsyncEventStream
from ._terminal import AsyncTerminal

OutputCallback = Callable[[str], Union[Awaitable[Any], Any]]
"""Called with each chunk; may be a plain function or a coroutine function."""


class AsyncSandbox:
    """A sandbox on a Hive daemon (asyncio): its state as last read, and the operations on it."""

    def __init__(self, connection: AsyncConnection, info: SandboxInfo, created: bool = False) -> None:
        self._connection = connection
        self._path = p.sandbox_path(info["name"])
        self.created = created
        """True when the call that returned this object created the sandbox (201), False when it existed."""
        self.files = AsyncSandboxFiles(connection, self._path)
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
        return self._info.get("status", "")

    @property
    def image(self) -> str | None:
        return self._info.get("image") or self._info.get("config", {}).get("image")

    @property
    def url(self) -> str:
        """Absolute URL of the sandbox's port 8080 through the daemon."""
        return self._info.get("url", "")

    @property
    def config(self) -> SandboxConfig:
        return self._info.get("config", {})

    @property
    def created_at(self) -> str:
        return self._info.get("createdAt", "")

    @property
    def info(self) -> SandboxInfo:
        return self._info

    def __repr__(self) -> str:
        return f"<AsyncSandbox {self.name} ({self.status})>"

    async def refresh(self) -> AsyncSandbox:
        self._set(await self._connection.json("GET", self._path))
        return self

    async def get_config(self) -> SandboxConfig:
        return cast(SandboxConfig, await self._connection.json("GET", f"{self._path}/config"))

    async def apply_config(self, config: SandboxConfig | Mapping[str, Any]) -> ApplyResult:
        """See :meth:`hive.Sandbox.apply_config`."""
        result = p.apply_result(await self._connection.json("PUT", f"{self._path}/config", json=dict(config or {})))
        if result.applied:
            self._info = cast(SandboxInfo, {**self._info, "config": result.config})
        return result

    async def exec(
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
        """See :meth:`hive.Sandbox.exec`; callbacks may be coroutine functions. Cancelling the task stops the command."""
        if on_stdout is None and on_stderr is None:
            body = p.exec_body(command, cwd, env, stdin, timeout_ms)
            return p.exec_result(await self._connection.json("POST", f"{self._path}/exec", json=body))
        async with await self.exec_stream(command, cwd=cwd, env=env, stdin=stdin, timeout_ms=timeout_ms) as run:
            async for out in run:
                callback = on_stdout if out.stream == "stdout" else on_stderr
                if callback is not None:
                    value = callback(out.data)
                    if inspect.isawaitable(value):
                        await value
            return run.result

    async def exec_stream(
        self,
        command: p.Command,
        *,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        stdin: str | None = None,
        timeout_ms: int | None = None,
    ) -> AsyncExecStream:
        """Starts a command; ``async for chunk in stream`` yields its output as it comes, ``stream.result`` holds the
        outcome afterwards (``await stream.wait()`` runs it to the end)."""
        body = p.exec_body(command, cwd, env, stdin, timeout_ms)
        response = await self._connection.request("POST", f"{self._path}/exec", json=body, headers={"accept": "text/event-stream"}, stream=True)
        return AsyncExecStream(self._connection, self.name, response)

    async def terminal(
        self,
        command: p.Command | None = None,
        *,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        rows: int = 24,
        cols: int = 80,
    ) -> AsyncTerminal:
        """A command on a pseudo-terminal (see :meth:`hive.Sandbox.terminal`): ``async with await sandbox.terminal()``."""
        return await AsyncTerminal.open(self._connection, f"{self._path}/terminal", terminal_start(command, cwd, env, rows, cols))

    def events(self, *, types: str | Iterable[str] | None = None, after: int | None = None) -> AsyncEventStream:
        """See :meth:`hive.Sandbox.events`: ``async for event in sandbox.events()``."""
        return AsyncEventStream(self._connection, f"{self._path}/events", types, after)

    get_events_stream = events

    async def get_events(self, *, types: str | Iterable[str] | None = None, after: int | None = None, limit: int | None = None) -> List[Event]:
        return await get_events_page(self._connection, f"{self._path}/events", types, after, limit)

    async def shutdown(self) -> None:
        """Stops and removes the sandbox (``DELETE``); its volumes stay."""
        await (await self._connection.request("DELETE", self._path)).aclose()
        self._info = cast(SandboxInfo, {**self._info, "status": "stopped"})


async def get_events_page(connection: AsyncConnection, path: str, types: str | Iterable[str] | None, after: int | None, limit: int | None) -> List[Event]:
    return [Event(e) for e in await connection.json("GET", path + p.events_query(types, after, limit, page=True))]


class AsyncExecStream(AsyncIterator[ExecOutput]):
    """The output of a running command, chunk by chunk as it comes; ``result`` once it has exited."""

    def __init__(self, connection: AsyncConnection, sandbox: str, response: httpx.Response) -> None:
        self._connection = connection
        self._sandbox = sandbox
        self._response = response
        self._result: ExecResult | None = None
        self._chunks = self._run()

    @property
    def result(self) -> ExecResult:
        if self._result is None:
            raise HiveError("The command has not finished yet: iterate the stream to its end, or await wait().")
        return self._result

    async def wait(self) -> ExecResult:
        async for _ in self:
            pass
        return self.result

    def __aiter__(self) -> AsyncExecStream:
        return self

    async def __anext__(self) -> ExecOutput:
        return await self._chunks.__anext__()

    async def __aenter__(self) -> AsyncExecStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Closes the request, which stops the command if it still runs."""
        await self._chunks.aclose()
        await self._response.aclose()

    async def _run(self) -> AsyncGenerator[ExecOutput, None]:
        response = self._response
        try:
            if "text/event-stream" not in response.headers.get("content-type", ""):
                self._result = p.exec_result(await self._connection.read_json(response))
                if self._result.stdout:
                    yield ExecOutput("stdout", self._result.stdout)
                if self._result.stderr:
                    yield ExecOutput("stderr", self._result.stderr)
                return
            stdout: list[str] = []
            stderr: list[str] = []
            parser = SseParser()
            try:
                async for chunk in response.aiter_raw():
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
            await response.aclose()


class AsyncSandboxFiles:
    """See :class:`hive.SandboxFiles`."""

    def __init__(self, connection: AsyncConnection, sandbox_path: str) -> None:
        self._connection = connection
        self._base = sandbox_path

    async def read(self, path: str) -> bytes:
        response = await self._connection.request("GET", p.file_path(self._base, path))
        if _is_json(response):
            await response.aclose()
            raise HiveError(f"'{path}' is a directory; list it with files.list.", status=400)
        return response.content

    async def read_text(self, path: str, encoding: str = "utf-8") -> str:
        return (await self.read(path)).decode(encoding)

    async def write(self, path: str, content: str | bytes | bytearray | memoryview) -> None:
        if isinstance(content, str):
            raw = content.encode("utf-8")
        elif isinstance(content, (bytes, bytearray, memoryview)):
            raw = bytes(content)
        else:
            raise TypeError("File content must be str or bytes.")
        await (await self._connection.request("PUT", p.file_path(self._base, path), content=raw)).aclose()

    async def delete(self, path: str) -> None:
        await (await self._connection.request("DELETE", p.file_path(self._base, path))).aclose()

    async def list(self, dir: str) -> List[FileEntry]:
        response = await self._connection.request("GET", p.file_path(self._base, dir))
        if not _is_json(response):
            await response.aclose()
            raise HiveError(f"'{dir}' is a file, not a directory.", status=400)
        return p.file_entries(await self._connection.read_json(response))
