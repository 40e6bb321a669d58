"""A live, resumable stream of events (asyncio)."""
from __future__ import annotations

import asyncio
from typing import Any, AsyncGenerator, AsyncIterator, Iterable, TypeVar

import httpx

from .. import _protocol as p
from .._errors import HiveError, UnavailableError
from .._events import _socket_of
from .._sse import SseParser
from .._types import Event
from ._connection import AsyncConnection


T = TypeVar("T")


class AsyncSocketStream(AsyncIterator[T]):
    """An async iterator over a streamed response that ``close()`` ends (from the event loop's thread): the pending
    read is woken by shutting the socket down. Subclasses set ``_items`` to their generator."""

    _items: AsyncGenerator[T, None]

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._stopped = False
        self._wake: asyncio.Event | None = None
        self._socket: Any = None

    def __aiter__(self) -> AsyncSocketStream[T]:
        return self

    async def __anext__(self) -> T:
        return await self._items.__anext__()

    async def __aenter__(self) -> AsyncSocketStream[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def close(self) -> None:
        """Ends the stream (call it from the event loop's thread): a pending ``__anext__`` finishes the iteration."""
        self._stopped = True
        if self._wake is not None:
            self._wake.set()
        if self._socket is not None:
            try:
                self._socket.shutdown(2)  # SHUT_RDWR: the pending read sees the end of the stream
            except OSError:
                pass

    async def aclose(self) -> None:
        self.close()
        await self._items.aclose()


class AsyncEventStream(AsyncSocketStream[Event]):
    """``async for event in stream``: stored events after ``after``, then live ones; resumes across dropped
    connections, daemon restarts and 502/503/504 with backoff, without repeats or gaps (see
    :class:`hive.EventStream`). ``close()`` (or the client's ``aclose()``) ends the iteration normally."""

    def __init__(self, connection: AsyncConnection, path: str, types: str | Iterable[str] | None = None, after: int | None = None) -> None:
        super().__init__(connection)
        self.last_event_id: int | None = after
        self._path = path
        self._types = p.types_param(types)
        self._items = self._run()

    async def _run(self) -> AsyncGenerator[Event, None]:
        unregister = self._connection.on_close(self.close)
        self._wake = asyncio.Event()
        delay = p.RECONNECT_S
        connected = False
        timeout = httpx.Timeout(10.0, read=p.IDLE_S)
        try:
            while not self._stopped:
                after = self.last_event_id
                response: httpx.Response | None = None
                try:
                    response = await self._connection.request(
                        "GET", self._path + p.events_query(self._types, after), headers=p.stream_headers(after), stream=True, timeout=timeout,
                    )
                except HiveError as e:
                    if self._stopped:
                        return
                    if not connected or not isinstance(e, UnavailableError):
                        raise
                if response is not None:
                    connected = True
                    delay = p.RECONNECT_S
                    try:
                        self._socket = _socket_of(response)
                        if self._stopped:
                            return
                        parser = SseParser()
                        async for chunk in response.aiter_raw():
                            for frame in parser.feed_bytes(chunk):
                                if frame.data == "":
                                    continue
                                event = p.parse_event(frame)
                                if self.last_event_id is not None and event.id <= self.last_event_id:
                                    continue
                                self.last_event_id = event.id
                                yield event
                    except httpx.HTTPError:
                        if self._stopped:
                            return
                    finally:
                        self._socket = None
                        await response.aclose()
                try:
                    await asyncio.wait_for(self._wake.wait(), delay)
                    return
                except asyncio.TimeoutError:
                    pass
                if response is None:
                    delay = min(delay * 2, p.MAX_RECONNECT_S)
        finally:
            unregister()
