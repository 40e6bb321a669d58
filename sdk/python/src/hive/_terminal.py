"""An interactive terminal in a sandbox over the daemon's terminal WebSocket (docs/api.md, "Interactive terminal")."""
from __future__ import annotations

import json
import time
from typing import Any, Iterator, Mapping

from . import _protocol as p
from ._connection import Connection
from ._errors import HiveError, UnavailableError
from ._websocket import BINARY, CLOSE, TEXT, HandshakeRefused, ProtocolError, WebSocket


class Terminal(Iterator[bytes]):
    """A command on a pseudo-terminal in a sandbox. ``write`` keys, ``resize`` the window, ``read`` (or iterate
    over) the output as it comes, ``wait`` for the exit status. ``close()`` (or leaving the ``with`` block) hangs
    up: what still runs gets SIGHUP, then SIGKILL. ``write`` and ``resize`` may be called from another thread
    than the one reading."""

    def __init__(self, ws: WebSocket, url: str) -> None:
        self._ws = ws
        self._url = url
        self._chunks: list[bytes] = []
        self._exit_code: int | None = None
        self._error: HiveError | None = None

    @staticmethod
    def open(connection: Connection, path: str, start: Mapping[str, Any]) -> Terminal:
        """Opens the WebSocket (bearer token as every request) and sends the start message."""
        token = connection.token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            ws = WebSocket.connect(connection.url + path, headers)
        except HandshakeRefused as e:
            raise p.error_from_response(e.status, e.reason, e.body, connection.url, bool(token), connection.token_file) from None
        except ProtocolError as e:
            raise UnavailableError(f"The terminal of {connection.url}{path} could not be opened: {e}.") from e
        except OSError as e:
            raise p.unavailable(e, connection.url) from e
        terminal = Terminal(ws, connection.url)
        terminal._send(TEXT, json.dumps(dict(start)).encode("utf-8"))
        return terminal

    @property
    def exit_code(self) -> int | None:
        """The command's exit status once it has arrived (see :meth:`wait`), else ``None``."""
        return self._exit_code

    @property
    def output(self) -> str:
        """All output read so far, as text."""
        return b"".join(self._chunks).decode("utf-8", "replace")

    def write(self, keys: str | bytes) -> None:
        """Sends keystrokes as typed (``"\\x03"`` is Ctrl-C, ``"\\x04"`` Ctrl-D at the start of a line)."""
        self._send(BINARY, keys.encode("utf-8") if isinstance(keys, str) else bytes(keys))

    def resize(self, rows: int, cols: int) -> None:
        """A new window size: the command gets SIGWINCH."""
        self._send(TEXT, json.dumps({"type": "resize", "rows": rows, "cols": cols}).encode("utf-8"))

    def read(self, timeout: float | None = None) -> bytes | None:
        """The next chunk of output; ``None`` once the command has exited and all its output was read.
        Raises :class:`TimeoutError` when nothing came within ``timeout`` seconds (the terminal stays usable),
        the daemon's typed error when it refused the start message or failed, :class:`UnavailableError` when
        the connection ended before the exit status."""
        if self._error is not None:
            raise self._error
        if self._exit_code is not None:
            return None
        self._ws.settimeout(timeout)
        while True:
            message = self._ws.receive()
            if message is None or message[0] == CLOSE:
                return self._fail(UnavailableError("The daemon closed the terminal before the command's exit status."))
            kind, value = interpret(*message)
            if kind == "output":
                self._chunks.append(value)
                return value  # type: ignore[no-any-return]
            if kind == "exit":
                self._exit_code = value
                return None
            if kind == "error":
                return self._fail(value)

    def read_until(self, text: str, timeout: float = 10.0) -> str:
        """Reads until the output (all of it so far) contains ``text``; returns the output. :class:`TimeoutError`
        (showing the output) when it did not within ``timeout`` seconds, :class:`HiveError` when the command
        exited first."""
        deadline = time.monotonic() + timeout
        while text not in self.output:
            left = deadline - time.monotonic()
            try:
                if left <= 0 or self.read(left) is None:
                    raise HiveError(f"The command exited ({self._exit_code}) before {text!r} showed; the terminal showed:\n{self.output}")
            except TimeoutError:
                raise TimeoutError(f"{text!r} did not show within {timeout} s; the terminal showed:\n{self.output}") from None
        return self.output

    def wait(self, timeout: float | None = None) -> int:
        """Reads the rest of the output (kept in :attr:`output`) and returns the exit status."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.read(None if deadline is None else max(deadline - time.monotonic(), 0.001)) is not None:
            pass
        assert self._exit_code is not None
        return self._exit_code

    def __iter__(self) -> Terminal:
        return self

    def __next__(self) -> bytes:
        chunk = self.read()
        if chunk is None:
            raise StopIteration
        return chunk

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the terminal; a command still running is hung up (its whole session)."""
        self._ws.close(1000)
        if self._exit_code is None and self._error is None:
            self._error = HiveError("The terminal was closed before the command exited.")

    def _send(self, opcode: int, payload: bytes) -> None:
        try:
            self._ws.send(opcode, payload)
        except OSError as e:
            raise UnavailableError(f"The terminal's connection to {self._url} is closed.") from e

    def _fail(self, error: HiveError) -> None:
        self._error = error
        self._ws.close(1000)
        raise error


def interpret(opcode: int, payload: bytes) -> tuple[str, Any]:
    """One message from the daemon: ``("output", bytes)``, ``("exit", code)``, ``("error", HiveError)`` or
    ``("other", None)`` (a text message of another type: ignored)."""
    if opcode == BINARY:
        return "output", payload
    control = _parse(payload)
    if control.get("type") == "exit":
        return "exit", int(control.get("exitCode") or 0)
    if control.get("type") == "error":
        problem = {k: v for k, v in control.items() if k != "type"}
        return "error", HiveError.from_problem(int(problem.get("status") or 500), problem)
    return "other", None


def _parse(payload: bytes) -> dict[str, Any]:
    try:
        value = json.loads(payload.decode("utf-8"))
    except ValueError:
        value = None
    return value if isinstance(value, dict) else {}


def terminal_start(command: p.Command | None, cwd: str | None, env: Mapping[str, str] | None, rows: int, cols: int) -> dict[str, Any]:
    start: dict[str, Any] = {"rows": rows, "cols": cols}
    if command is not None:
        start["command"] = command if isinstance(command, str) else list(command)
    if cwd is not None:
        start["cwd"] = cwd
    if env is not None:
        start["env"] = dict(env)
    return start

