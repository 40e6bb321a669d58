"""sandbox.terminal(): an interactive terminal in a real sandbox over the daemon's WebSocket (a pty from hive-init);
and the SDK's RFC 6455 client against a loopback server that fragments, pings and closes."""
from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
import time
from typing import Iterator

import pytest

import hive
import hive.aio
from _daemon import TestDaemon
from hive._websocket import BINARY, CLOSE, PING, PONG, TEXT, FrameReader, encode_frame


@pytest.fixture(scope="module")
def client(daemon: TestDaemon) -> Iterator[hive.Hive]:
    with daemon.client() as c:
        yield c


@pytest.fixture(scope="module")
def sandbox(client: hive.Hive) -> hive.Sandbox:
    return client.get_or_create_sandbox("py-term", {"image": "hive/minimal"})


def test_terminal_a_shell_on_a_pty_typed_input_resize_ctrl_c_and_the_exit_code(sandbox):
    with sandbox.terminal("sh -i", rows=30, cols=100, env={"PS1": "$ "}) as t:
        t.write("tty; stty size\n")
        t.read_until("30 100")
        assert "/dev/pts/" in t.output
        t.resize(50, 160)
        t.write(b"stty size\n")
        t.read_until("50 160")
        t.write("sleep 1000\n")
        time.sleep(0.3)
        t.write("\x03")  # Ctrl-C stops the foreground job; the shell goes on
        t.write("echo back-$((1+1)); exit 3\n")
        assert t.wait(timeout=15) == 3
        assert "back-2" in t.output
        assert t.exit_code == 3
        assert t.read() is None, "nothing after the exit"


def test_terminal_echo_output_by_iteration_cwd_and_env(sandbox):
    with sandbox.terminal(["/bin/sh", "-c", 'pwd; echo "$WHO"; exit 7'], cwd="/tmp", env={"WHO": "terminal-py"}) as t:
        output = b"".join(t)
        assert t.exit_code == 7
    assert output.replace(b"\r\n", b"\n") == b"/tmp\nterminal-py\n"


def test_terminal_a_refused_start_message_raises_the_fields_error(sandbox):
    t = sandbox.terminal("true", rows=0)
    with pytest.raises(hive.ValidationError) as caught:
        t.wait(timeout=15)
    assert any(e.path == "rows" for e in caught.value.errors), caught.value.errors
    with pytest.raises(hive.ValidationError):
        t.read()  # the same error again, not a hang


def test_terminal_without_the_right_token_the_handshake_is_refused_and_nothing_runs(daemon, sandbox):
    for token in ("", "0" * 64):
        with hive.Hive(daemon.url, token or None) as other:
            with pytest.raises(hive.AuthError) as caught:
                hive.Sandbox(other.connection, {"name": "py-term"}).terminal("touch /tmp/py-should-not-exist")
            assert caught.value.status == 401
    assert sandbox.exec("test -e /tmp/py-should-not-exist").exit_code == 1
    with pytest.raises(hive.NotFoundError):
        hive.Sandbox(sandbox._connection, {"name": "py-no-such-sandbox"}).terminal()


def test_closing_a_terminal_hangs_up_what_still_runs(sandbox):
    with sandbox.terminal("echo started; exec sleep 41.5") as t:
        t.read_until("started")
        assert "sleep 41.5" in sandbox.exec("ps -o args").stdout
    with pytest.raises(hive.HiveError, match="closed before the command exited"):
        t.wait()
    deadline = time.monotonic() + 10
    while "sleep 41.5" in sandbox.exec("ps -o args").stdout:
        assert time.monotonic() < deadline, "the command still runs 10 s after the terminal closed"
        time.sleep(0.1)


# The client itself, against a loopback server that speaks the protocol the way a server may.

def test_frame_reader_joins_fragments_passes_control_frames_between_them_and_reads_long_lengths():
    def frame(fin: bool, opcode: int, payload: bytes) -> bytes:
        n = len(payload)
        length = bytes([n]) if n < 126 else (bytes([126]) + struct.pack("!H", n) if n < 65536 else bytes([127]) + struct.pack("!Q", n))
        return bytes([(0x80 if fin else 0) | opcode]) + length + payload

    big = bytes(range(256)) * 300  # 76800 bytes: the 64-bit length
    stream = frame(False, BINARY, b"ab") + frame(True, PING, b"p") + frame(False, 0, b"cd") + frame(True, 0, b"ef") \
        + frame(True, TEXT, b"x" * 200) + frame(True, BINARY, big)
    reader = FrameReader()
    messages = []
    for i in range(0, len(stream), 7):  # in small pieces, split anywhere
        messages += reader.feed(stream[i:i + 7])
    assert messages == [(PING, b"p"), (BINARY, b"abcdef"), (TEXT, b"x" * 200), (BINARY, big)]


def test_client_frames_are_masked_and_decode_back():
    payload = b"hello terminal" * 20
    data = encode_frame(BINARY, payload, mask=b"\x01\x02\x03\x04")
    assert data[0] == 0x80 | BINARY and data[1] & 0x80, "final and masked"
    assert data[4:8] == b"\x01\x02\x03\x04" and data[8:] != payload
    unmasked = bytes(b ^ b"\x01\x02\x03\x04"[i % 4] for i, b in enumerate(data[8:]))
    assert unmasked == payload


class _Server:
    """A one-connection WebSocket server on loopback that runs ``script(conn)`` after the handshake."""

    def __init__(self, script) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.received: list[tuple[int, bytes, bool]] = []
        self.request = b""
        self.thread = threading.Thread(target=self._serve, args=(script,), daemon=True)
        self.thread.start()

    def _serve(self, script) -> None:
        conn, _ = self.listener.accept()
        with conn:
            while b"\r\n\r\n" not in self.request:
                self.request += conn.recv(4096)
            key = next(l.split(":", 1)[1].strip() for l in self.request.decode().split("\r\n") if l.lower().startswith("sec-websocket-key"))
            accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
            conn.sendall(f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n".encode())
            script(conn, self)

    def receive(self, conn: socket.socket) -> tuple[int, bytes]:
        def exactly(n: int) -> bytes:
            data = b""
            while len(data) < n:
                chunk = conn.recv(n - len(data))
                assert chunk, "the client closed"
                data += chunk
            return data
        b0, b1 = exactly(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", exactly(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", exactly(8))[0]
        mask = exactly(4) if b1 & 0x80 else b""
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(exactly(n))) if mask else exactly(n)
        self.received.append((b0 & 0x0F, payload, bool(b1 & 0x80)))
        return b0 & 0x0F, payload

    def close(self) -> None:
        self.thread.join(10)
        self.listener.close()


def test_the_client_answers_pings_reads_fragmented_output_and_the_exit_and_sends_masked_frames():
    def script(conn: socket.socket, server: _Server) -> None:
        assert server.receive(conn)[0] == TEXT  # the start message
        conn.sendall(b"\x02\x03out" + b"\x89\x04ping" + b"\x00\x01-" + b"\x80\x03put")  # fragmented, a ping between
        assert server.receive(conn) == (PONG, b"ping")
        assert server.receive(conn) == (BINARY, b"keys")
        exit_message = json.dumps({"type": "exit", "exitCode": 5, "durationMs": 1}).encode()
        conn.sendall(bytes([0x81, len(exit_message)]) + exit_message + b"\x88\x02\x03\xe8")
        server.receive(conn)  # the client's close

    server = _Server(script)
    try:
        connection = hive.Connection(server.url, "tok-123")
        t = hive.Terminal.open(connection, "/v1/sandboxes/x/terminal", {"command": "x", "rows": 24, "cols": 80})
        assert t.read(timeout=10) == b"out-put"
        t.write("keys")
        assert t.wait(timeout=10) == 5
        t.close()
    finally:
        server.close()
    assert b"authorization: bearer tok-123" in server.request.lower()
    assert all(masked for _, _, masked in server.received), "every client frame is masked"
    assert json.loads(server.received[0][1]) == {"command": "x", "rows": 24, "cols": 80}
    assert server.received[-1][0] == CLOSE


def test_a_connection_that_ends_before_the_exit_is_an_unavailable_error_and_a_silent_one_times_out():
    def script(conn: socket.socket, server: _Server) -> None:
        server.receive(conn)
        time.sleep(0.5)
        conn.sendall(b"\x82\x02hi")

    server = _Server(script)
    try:
        t = hive.Terminal.open(hive.Connection(server.url, "t"), "/t", {})
        with pytest.raises(TimeoutError):
            t.read(timeout=0.1)
        assert t.read(timeout=10) == b"hi", "a timeout leaves the terminal usable"
        with pytest.raises(hive.UnavailableError, match="before the command's exit status"):
            t.wait(timeout=10)
    finally:
        server.close()


def test_aio_terminal_typed_input_resize_and_the_exit_code_and_a_refused_start(daemon, sandbox):
    import asyncio

    async def run() -> None:
        async with daemon.aclient() as c:
            s = await c.get_sandbox("py-term")
            async with await s.terminal("sh -i", rows=30, cols=100, env={"PS1": "$ "}) as t:
                await t.write("stty size\n")
                await t.read_until("30 100")
                await t.resize(50, 160)
                await t.write(b"stty size; exit 4\n")
                assert await asyncio.wait_for(t.wait(), 15) == 4
                assert "50 160" in t.output
            refused = await s.terminal("true", cols=0)
            with pytest.raises(hive.ValidationError) as caught:
                await asyncio.wait_for(refused.wait(), 15)
            assert any(e.path == "cols" for e in caught.value.errors)
            async with await s.terminal(["/bin/sh", "-c", "echo a-$((2+3))"]) as t:
                assert b"".join([chunk async for chunk in t]).strip() == b"a-5"
                assert t.exit_code == 0
            with pytest.raises(hive.AuthError):
                async with hive.aio.AsyncHive(daemon.url, "0" * 64) as bad:
                    await hive.aio.AsyncSandbox(bad.connection, {"name": "py-term"}).terminal("true")

    asyncio.run(run())
