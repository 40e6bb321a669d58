"""A live, resumable stream of events (synchronous)."""
from __future__ import annotations

import socket
import threading
from typing import Generator, Iterable, Iterator, TypeVar

import httpx

from . import _protocol as p
from ._connection import Connection
from ._errors import HiveError, UnavailableError
from ._sse import SseParser
from ._types import Event


T = TypeVar("T")


class SocketStream(Iterator[T]):
    """An iterator over a streamed response that ``close()`` ends from any thread: the blocked read is woken by
    shutting the socket down, and the iteration finishes normally. Subclasses set ``_items`` to their generator."""

    _items: Generator[T, None, None]

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None

    def __iter__(self) -> SocketStream[T]:
        return self

    def __next__(self) -> T:
        return next(self._items)

    def __enter__(self) -> SocketStream[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Ends the stream: a pending ``next()`` (in any thread) finishes the iteration."""
        self._stop.set()
        with self._lock:
            sock = self._socket
        if sock is not None:
            # Wakes a read blocked in another thread; the loop then sees the stop flag.
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        try:
            self._items.close()
        except ValueError:
            pass  # generator already executing (in another thread): it ends by itself now


class EventStream(SocketStream[Event]):
    """``for event in stream``: the stored events after ``after`` (default: from the first), then live ones.

    The first connection must succeed (a missing daemon or a bad token raises at once). After that, a dropped
    connection, a silent one (no keep-alive for 45 s), a restarted daemon or a 502/503/504 is retried with backoff,
    resuming after the last id yielded (``Last-Event-ID`` and ``?after=``); ids at or below it are dropped, so no
    event is yielded twice and none is skipped.

    ``close()`` (from any thread, or the client's ``close()``) ends the iteration normally; so does leaving a
    ``with`` block.
    """

    def __init__(self, connection: Connection, path: str, types: str | Iterable[str] | None = None, after: int | None = None) -> None:
        super().__init__(connection)
        self.last_event_id: int | None = after
        """Id of the last event yielded (or the ``after`` it started from)."""
        self._path = path
        self._types = p.types_param(types)
        self._items = self._run()

    def _run(self) -> Generator[Event, None, None]:
        unregister = self._connection.on_close(self.close)
        delay = p.RECONNECT_S
        connected = False
        timeout = httpx.Timeout(10.0, read=p.IDLE_S)
        try:
            while not self._stop.is_set():
                after = self.last_event_id
                response: httpx.Response | None = None
                try:
                    response = self._connection.request(
                        "GET", self._path + p.events_query(self._types, after), headers=p.stream_headers(after), stream=True, timeout=timeout,
                    )
                except HiveError as e:
                    if self._stop.is_set():
                        return
                    if not connected or not isinstance(e, UnavailableError):
                        raise
                if response is not None:
                    connected = True
                    delay = p.RECONNECT_S
                    try:
                        with self._lock:
                            self._socket = _socket_of(response)
                        if self._stop.is_set():
                            return
                        parser = SseParser()
                        for chunk in response.iter_raw():
                            for frame in parser.feed_bytes(chunk):
                                if frame.data == "":
                                    continue
                                event = p.parse_event(frame)
                                if self.last_event_id is not None and event.id <= self.last_event_id:
                                    continue
                                self.last_event_id = event.id
                                yield event
                    except httpx.HTTPError:
                        if self._stop.is_set():
                            return
                        # the connection broke or went idle: reconnect below
                    finally:
                        with self._lock:
                            self._socket = None
                        response.close()
                if self._stop.wait(delay):
                    return
                if response is None:
                    delay = min(delay * 2, p.MAX_RECONNECT_S)
        finally:
            unregister()


def _socket_of(response: httpx.Response) -> socket.socket | None:
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    return sock if hasattr(sock, "shutdown") else None
