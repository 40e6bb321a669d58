"""Just enough of RFC 6455 for one client connection over a socket (the SDK adds no dependency): the opening
handshake, masked frames out, and text, binary, continuation, ping, pong and close frames in."""
from __future__ import annotations

import base64
import hashlib
import os
import socket
import ssl
import struct
import threading
from typing import Mapping
from urllib.parse import urlsplit

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

TEXT, BINARY, CLOSE, PING, PONG = 1, 2, 8, 9, 10


class HandshakeRefused(Exception):
    """The server answered the upgrade with an ordinary HTTP response (status, reason, body)."""

    def __init__(self, status: int, reason: str, body: str) -> None:
        super().__init__(f"{status} {reason}")
        self.status, self.reason, self.body = status, reason, body


class ProtocolError(Exception):
    """The peer broke the protocol (a bad handshake answer, a malformed frame)."""


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + _GUID).encode("ascii")).digest()).decode("ascii")


def encode_frame(opcode: int, payload: bytes, mask: bytes | None = None) -> bytes:
    """One final frame, masked as a client must (``mask``: 4 bytes; random when omitted)."""
    mask = mask if mask is not None else os.urandom(4)
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return head + mask + _xor(payload, mask)


def _xor(payload: bytes, mask: bytes) -> bytes:
    if not payload:
        return b""
    whole = (mask * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(whole, "big")).to_bytes(len(payload), "big")


class FrameReader:
    """Splits received bytes into messages: continuation frames are joined; control frames come out as they
    arrive (they may sit between the fragments of a message). Pure: no I/O."""

    def __init__(self) -> None:
        self._buffer = b""
        self._fragments: list[bytes] = []
        self._opcode = 0

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self._buffer += data
        messages: list[tuple[int, bytes]] = []
        while len(self._buffer) >= 2:
            b = self._buffer
            fin, opcode, masked, length = b[0] & 0x80, b[0] & 0x0F, b[1] & 0x80, b[1] & 0x7F
            at = 2
            if length == 126:
                if len(b) < 4:
                    break
                length, at = struct.unpack_from("!H", b, 2)[0], 4
            elif length == 127:
                if len(b) < 10:
                    break
                length, at = struct.unpack_from("!Q", b, 2)[0], 10
            mask = b""
            if masked:  # a server must not mask; accepted anyway
                if len(b) < at + 4:
                    break
                mask, at = b[at:at + 4], at + 4
            if len(b) < at + length:
                break
            payload = b[at:at + length]
            if mask:
                payload = _xor(payload, mask)
            self._buffer = b[at + length:]
            if opcode >= 8:
                messages.append((opcode, payload))
                continue
            if opcode != 0:
                if self._fragments:
                    raise ProtocolError("a new message started before the previous one's last fragment")
                self._opcode = opcode
            elif not self._fragments and self._opcode == 0:
                raise ProtocolError("a continuation frame without a message to continue")
            self._fragments.append(payload)
            if fin:
                messages.append((self._opcode, b"".join(self._fragments)))
                self._fragments, self._opcode = [], 0
        return messages


class WebSocket:
    """A client WebSocket: ``send`` (thread-safe) and ``receive`` (one reader at a time). ``receive`` answers pings
    itself and returns ``(opcode, payload)`` for text, binary and close messages; ``None`` once the socket ended."""

    def __init__(self, sock: socket.socket, head: bytes) -> None:
        self._sock = sock
        self._reader = FrameReader()
        self._pending = self._reader.feed(head) if head else []
        self._send_lock = threading.Lock()
        self.closed = False

    @staticmethod
    def connect(url: str, headers: Mapping[str, str], timeout: float = 10.0) -> WebSocket:
        host, port, secure = endpoint(url)
        sock = socket.create_connection((host, port), timeout=timeout)
        try:
            if secure:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
            request, key = handshake_request(url, headers)
            sock.sendall(request)
            data = b""
            while b"\r\n\r\n" not in data:
                data += _recv_some(sock, data)
            status, reason, response_headers, rest = parse_head(data)
            if status != 101:
                while (body := refusal_body(response_headers, rest)) is None:
                    more = sock.recv(65536)
                    if not more:
                        body = rest
                        break
                    rest += more
                raise HandshakeRefused(status, reason, body.decode("utf-8", "replace"))
            check_accept(response_headers, key)
            sock.settimeout(None)
            return WebSocket(sock, rest)
        except BaseException:
            sock.close()
            raise

    def send(self, opcode: int, payload: bytes) -> None:
        frame = encode_frame(opcode, payload)
        with self._send_lock:
            if self.closed:
                raise OSError("the WebSocket is closed")
            self._sock.sendall(frame)

    def receive(self) -> tuple[int, bytes] | None:
        while True:
            while self._pending:
                opcode, payload = self._pending.pop(0)
                if opcode == PING:
                    try:
                        self.send(PONG, payload)
                    except OSError:
                        pass
                elif opcode != PONG:
                    return opcode, payload
            try:
                data = self._sock.recv(65536)
            except TimeoutError:
                raise
            except OSError:
                data = b""
            if not data:
                return None
            self._pending = self._reader.feed(data)

    def settimeout(self, seconds: float | None) -> None:
        """How long :meth:`receive` waits for bytes before :class:`TimeoutError` (``None``: no limit)."""
        self._sock.settimeout(seconds)

    def close(self, code: int = 1000) -> None:
        """Sends a close frame (when it still can) and closes the socket."""
        try:
            self.send(CLOSE, struct.pack("!H", code))
        except OSError:
            pass
        with self._send_lock:
            self.closed = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()


def endpoint(url: str) -> tuple[str, int, bool]:
    """Host, port and whether TLS is used."""
    parts = urlsplit(url)
    secure = parts.scheme in ("https", "wss")
    return parts.hostname or "127.0.0.1", parts.port or (443 if secure else 80), secure


def handshake_request(url: str, headers: Mapping[str, str]) -> tuple[bytes, str]:
    """The opening handshake's request and its Sec-WebSocket-Key."""
    parts = urlsplit(url)
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    authority = parts.netloc.rpartition("@")[2]
    lines = [f"GET {target} HTTP/1.1", f"Host: {authority}", "Connection: Upgrade", "Upgrade: websocket",
             "Sec-WebSocket-Version: 13", f"Sec-WebSocket-Key: {key}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), key


def check_accept(headers: Mapping[str, str], key: str) -> None:
    if headers.get("sec-websocket-accept") != accept_key(key):
        raise ProtocolError("the server's WebSocket handshake is not valid (Sec-WebSocket-Accept)")


def _recv_some(sock: socket.socket, data: bytes) -> bytes:
    chunk = sock.recv(4096)
    if not chunk:
        raise ProtocolError("the connection closed during the WebSocket handshake")
    if len(data) > 65536:
        raise ProtocolError("the handshake answer's headers are too long")
    return chunk


def parse_head(data: bytes) -> tuple[int, str, dict[str, str], bytes]:
    """Status, reason, headers (lower-case names) and the bytes after the head of an HTTP answer."""
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, _, status_reason = lines[0].partition(" ")
    status, _, reason = status_reason.partition(" ")
    if not version.startswith("HTTP/") or not status.isdigit():
        raise ProtocolError(f"not an HTTP answer: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status), reason, headers, rest


def refusal_body(headers: Mapping[str, str], data: bytes) -> bytes | None:
    """The body of a refusal once ``data`` holds all of it (Content-Length or chunked); ``None`` while it does not
    (without either, the body ends with the connection: the caller reads to the end). At most 64 KiB is read."""
    if len(data) >= 65536:
        return data
    try:
        if "content-length" in headers:
            length = int(headers["content-length"])
            return data[:length] if len(data) >= length else None
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = b""
            while True:
                size_line, crlf, data = data.partition(b"\r\n")
                if not crlf:
                    return None
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    return body
                if len(data) < size + 2:
                    return None
                body, data = body + data[:size], data[size + 2:]
    except ValueError:
        return data
    return None
