"""An interactive terminal in a sandbox (asyncio): see :class:`hive.Terminal`."""
from __future__ import annotations

import asyncio
import json
import ssl
import struct
from typing import Any, AsyncIterator, Mapping

from .. import _protocol as p
from .._errors import HiveError, UnavailableError
from .._terminal import interpret
from .._websocket import (
    BINARY, CLOSE, PING, PONG, TEXT, FrameReader, HandshakeRefused, ProtocolError, check_accept, encode_frame, endpoint,
    handshake_request, parse_head, refusal_body,
)
from ._connection import AsyncConnection


class AsyncTerminal(AsyncIterator[bytes]):
    """``await t.write(keys)``, ``await t.resize(rows, cols)``, ``await t.read()`` / ``async for chunk in t``,
    ``await t.wait()`` → exit code, ``await t.aclose()`` (or ``async with``) hangs up what still runs."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, url: str) -> None:
        self._reader, self._writer, self._url = reader, writer, url
        self._frames = FrameReader()
        self._pending = self._frames.feed(head) if head else []
        self._chunks: list[bytes] = []
        self._exit_code: int | None = None
        self._error: HiveError | None = None
        self._closed = False

    @staticmethod
    async def open(connection: AsyncConnection, path: str, start: Mapping[str, Any]) -> AsyncTerminal:
        token = connection.token
        url = connection.url + path
        host, port, secure = endpoint(url)
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, ssl=ssl.create_default_context() if secure else None), 10.0)
        except (OSError, asyncio.TimeoutError) as e:
            raise p.unavailable(e, connection.url) from e
        try:
            request, key = handshake_request(url, {"Authorization": f"Bearer {token}"} if token else {})
            writer.write(request)
            await writer.drain()
            data = await reader.readuntil(b"\r\n\r\n")
            status, reason, headers, rest = parse_head(data)
            if status != 101:
                while (body := refusal_body(headers, rest)) is None:
                    more = await reader.read(65536)
                    if not more:
                        body = rest
                        break
                    rest += more
                raise HandshakeRefused(status, reason, body.decode("utf-8", "replace"))
            check_accept(headers, key)
        except HandshakeRefused as e:
            writer.close()
            raise p.error_from_response(e.status, e.reason, e.body, connection.url, bool(token), connection.token_file) from None
        except (ProtocolError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError) as e:
            writer.close()
            raise UnavailableError(f"The terminal of {url} could not be opened: {e}.") from e
        terminal = AsyncTerminal(reader, writer, rest, connection.url)
        await terminal._send(TEXT, json.dumps(dict(start)).encode("utf-8"))
        return terminal

    @property
    def exit_code(self) -> int | None:
        return self._exit_code

    @property
    def output(self) -> str:
        return b"".join(self._chunks).decode("utf-8", "replace")

    async def write(self, keys: str | bytes) -> None:
        await self._send(BINARY, keys.encode("utf-8") if isinstance(keys, str) else bytes(keys))

    async def resize(self, rows: int, cols: int) -> None:
        await self._send(TEXT, json.dumps({"type": "resize", "rows": rows, "cols": cols}).encode("utf-8"))

    async def read(self) -> bytes | None:
        """The next chunk of output; ``None`` once the command has exited (bound it with ``asyncio.wait_for``)."""
        if self._error is not None:
            raise self._error
        if self._exit_code is not None:
            return None
        while True:
            message = await self._receive()
            if message is None or message[0] == CLOSE:
                return await self._fail(UnavailableError("The daemon closed the terminal before the command's exit status."))
            kind, value = interpret(*message)
            if kind == "output":
                self._chunks.append(value)
                return value  # type: ignore[no-any-return]
            if kind == "exit":
                self._exit_code = value
                return None
            if kind == "error":
                return await self._fail(value)

    async def read_until(self, text: str, timeout: float = 10.0) -> str:
        async def until() -> str:
            while text not in self.output:
                if await self.read() is None:
                    raise HiveError(f"The command exited ({self._exit_code}) before {text!r} showed; the terminal showed:\n{self.output}")
            return self.output
        try:
            return await asyncio.wait_for(until(), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"{text!r} did not show within {timeout} s; the terminal showed:\n{self.output}") from None

    async def wait(self) -> int:
        while await self.read() is not None:
            pass
        assert self._exit_code is not None
        return self._exit_code

    def __aiter__(self) -> AsyncTerminal:
        return self

    async def __anext__(self) -> bytes:
        chunk = await self.read()
        if chunk is None:
            raise StopAsyncIteration
        return chunk

    async def __aenter__(self) -> AsyncTerminal:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Closes the terminal; a command still running is hung up (its whole session)."""
        if not self._closed:
            try:
                await self._send(CLOSE, struct.pack("!H", 1000))
            except UnavailableError:
                pass
            self._closed = True
            self._writer.close()
        if self._exit_code is None and self._error is None:
            self._error = HiveError("The terminal was closed before the command exited.")

    async def _receive(self) -> tuple[int, bytes] | None:
        while True:
            while self._pending:
                opcode, payload = self._pending.pop(0)
                if opcode == PING:
                    try:
                        await self._send(PONG, payload)
                    except UnavailableError:
                        pass
                elif opcode != PONG:
                    return opcode, payload
            try:
                data = await self._reader.read(65536)
            except OSError:
                data = b""
            if not data:
                return None
            self._pending = self._frames.feed(data)

    async def _send(self, opcode: int, payload: bytes) -> None:
        if self._closed:
            raise UnavailableError(f"The terminal's connection to {self._url} is closed.")
        try:
            self._writer.write(encode_frame(opcode, payload))
            await self._writer.drain()
        except OSError as e:
            raise UnavailableError(f"The terminal's connection to {self._url} is closed.") from e

    async def _fail(self, error: HiveError) -> None:
        self._error = error
        await self.aclose()
        self._error = error
        raise error
