"""An incremental ``text/event-stream`` parser (HTML standard, server-sent events)."""
from __future__ import annotations

import codecs
from dataclasses import dataclass


@dataclass(frozen=True)
class SseFrame:
    """One dispatched server-sent event."""

    event: str
    data: str
    id: str | None = None
    """The last event ID seen so far in the stream (SSE semantics), if any."""


class SseParser:
    """``field: value`` lines (one leading space dropped), ``data`` lines joined with ``\\n``, ``:`` comments
    ignored, a blank line dispatches; CR, LF and CRLF line ends, also when a CRLF or a UTF-8 sequence is split
    across two chunks."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._skip_lf = False
        self._event = ""
        self._data: list[str] = []
        self.last_event_id: str | None = None
        self.retry: int | None = None
        """The reconnection time the server asked for, in ms."""

    def feed_bytes(self, chunk: bytes) -> list[SseFrame]:
        return self.feed(self._decoder.decode(chunk))

    def feed(self, text: str) -> list[SseFrame]:
        """Consumes decoded text; returns the frames it completed."""
        frames: list[SseFrame] = []
        buffer = self._buffer + text
        start = 0
        if self._skip_lf and buffer.startswith("\n"):
            start = 1
        self._skip_lf = False
        i = start
        n = len(buffer)
        while i < n:
            ch = buffer[i]
            if ch != "\n" and ch != "\r":
                i += 1
                continue
            line = buffer[start:i]
            if ch == "\r":
                if i + 1 < n:
                    if buffer[i + 1] == "\n":
                        i += 1
                else:
                    self._skip_lf = True
            i += 1
            start = i
            frame = self._line(line)
            if frame is not None:
                frames.append(frame)
        self._buffer = buffer[start:]
        return frames

    def _line(self, line: str) -> SseFrame | None:
        if line == "":
            if not self._data:
                self._event = ""
                return None
            frame = SseFrame(self._event or "message", "\n".join(self._data), self.last_event_id)
            self._event = ""
            self._data = []
            return frame
        if line.startswith(":"):
            return None
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "event":
            self._event = value
        elif field == "data":
            self._data.append(value)
        elif field == "id":
            if "\0" not in value:
                self.last_event_id = value
        elif field == "retry":
            if value.isdigit():
                self.retry = int(value)
        return None
