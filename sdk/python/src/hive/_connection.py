"""The synchronous HTTP layer: base URL, bearer token, problem+json mapped to typed errors."""
from __future__ import annotations

import json as _json
import threading
from typing import Any, Callable, Mapping

import httpx

from . import _protocol as p
from ._errors import HiveError
from ._settings import check_url, read_token_file, resolve_connection

DEFAULT_TIMEOUT = httpx.Timeout(None, connect=10.0)
"""No read timeout: an exec runs as long as its command; event streams set their own idle timeout."""


class Connection:
    """One daemon: URL, token and a pool of HTTP connections. Thread-safe; cheap to share.

    Without ``url``, URL and token come from the environment (``HIVE_URL``/``HIVE_TOKEN``, else ``HIVE_LISTEN`` or
    ``$HIVE_HOME/daemon.json`` and ``$HIVE_HOME/token``); with ``url``, the token is only the one given (a local
    token is never sent to another address).
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        token_file: str | None = None,
        timeout: httpx.Timeout | float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        settings = resolve_connection() if url is None else None
        self.url = check_url(url) if url is not None else check_url(settings.url)  # type: ignore[union-attr]
        self._token = (token or "").strip() or (settings.token if settings else None)
        self._token_file = token_file or (settings.token_file if settings and not self._token else None)
        self._timeout = DEFAULT_TIMEOUT if timeout is None else httpx.Timeout(timeout)
        self._transport = transport
        self._lock = threading.Lock()
        self._http: httpx.Client | None = None
        self._close_handlers: set[Callable[[], None]] = set()

    @property
    def token(self) -> str | None:
        """The token; read from the token file on use until it exists."""
        if self._token is None and self._token_file:
            self._token = read_token_file(self._token_file)
        return self._token

    @property
    def token_file(self) -> str | None:
        return self._token_file

    def _client(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                # trust_env=False: the daemon is reached directly, never through HTTP(S)_PROXY from the environment.
                self._http = httpx.Client(timeout=self._timeout, transport=self._transport, trust_env=False)
            return self._http

    def on_close(self, handler: Callable[[], None]) -> Callable[[], None]:
        """Registers a callback run by :meth:`close`; returns the function that unregisters it."""
        with self._lock:
            self._close_handlers.add(handler)
        return lambda: self._close_handlers.discard(handler)

    def close(self) -> None:
        """Ends every open event stream (they finish normally) and closes the pooled connections.
        The connection stays usable: the next request opens a new pool."""
        with self._lock:
            handlers = list(self._close_handlers)
            http, self._http = self._http, None
        for handler in handlers:
            handler()
        if http is not None:
            http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        """Sends a request; returns the response when it is 2xx, else raises the typed error.
        With ``stream=True`` the body is not read yet: close the response when done."""
        all_headers = dict(headers or {})
        token = self.token
        if token:
            all_headers["authorization"] = f"Bearer {token}"
        if json is not None:
            all_headers["content-type"] = "application/json"
            body: bytes | None = _dumps(json)
        elif content is not None:
            all_headers["content-type"] = "application/octet-stream"
            body = content
        else:
            body = None
        http = self._client()
        try:
            request = http.build_request(method, self.url + path, content=body, headers=all_headers, timeout=timeout or self._timeout)
            response = http.send(request, stream=stream)
        except httpx.TransportError as e:
            raise p.unavailable(e, self.url) from e
        if response.is_success:
            return response
        try:
            text = response.read().decode("utf-8", "replace") if stream else response.text
        except httpx.HTTPError:
            text = ""  # the body broke off; the status is still worth reporting
        finally:
            response.close()
        raise p.error_from_response(response.status_code, response.reason_phrase, text, self.url, bool(token), self._token_file)

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Sends a request and parses its JSON answer."""
        headers = {"accept": "application/json", **kwargs.pop("headers", {})}
        response = self.request(method, path, headers=headers, **kwargs)
        return self.read_json(response)

    def read_json(self, response: httpx.Response) -> Any:
        try:
            text = response.read().decode("utf-8", "replace")
        except httpx.TransportError as e:
            raise p.unavailable(e, self.url) from e
        finally:
            response.close()
        return p.parse_json(text, self.url, response.status_code)


def _dumps(value: Any) -> bytes:
    try:
        return _json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as e:
        raise HiveError(f"The request body cannot be sent as JSON: {e}") from e
