"""The asyncio HTTP layer: the same as :class:`hive.Connection`, with ``httpx.AsyncClient``."""
from __future__ import annotations

import asyncio
from typing import Any, Callable, Mapping

import httpx

from .. import _protocol as p
from .._connection import DEFAULT_TIMEOUT, _dumps
from .._settings import check_url, read_token_file, resolve_connection


class AsyncConnection:
    """One daemon: URL, token and a pool of HTTP connections for the running event loop.

    The pool belongs to one event loop; used from another loop (a second ``asyncio.run``), the connection opens a
    new pool there, so a module-level default client works across ``asyncio.run`` calls.
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        token_file: str | None = None,
        timeout: httpx.Timeout | float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        settings = resolve_connection() if url is None else None
        self.url = check_url(url) if url is not None else check_url(settings.url)  # type: ignore[union-attr]
        self._token = (token or "").strip() or (settings.token if settings else None)
        self._token_file = token_file or (settings.token_file if settings and not self._token else None)
        self._timeout = DEFAULT_TIMEOUT if timeout is None else httpx.Timeout(timeout)
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._close_handlers: set[Callable[[], None]] = set()

    @property
    def token(self) -> str | None:
        if self._token is None and self._token_file:
            self._token = read_token_file(self._token_file)
        return self._token

    @property
    def token_file(self) -> str | None:
        return self._token_file

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._http is None or self._loop is not loop:
            # A pool made on another (finished) loop cannot be used or closed here; it is dropped.
            self._http = httpx.AsyncClient(timeout=self._timeout, transport=self._transport, trust_env=False)
            self._loop = loop
        return self._http

    def on_close(self, handler: Callable[[], None]) -> Callable[[], None]:
        self._close_handlers.add(handler)
        return lambda: self._close_handlers.discard(handler)

    def close(self) -> None:
        """Ends every open event stream (they finish normally); call it from the event loop's thread."""
        for handler in list(self._close_handlers):
            handler()

    async def aclose(self) -> None:
        """Ends every open event stream (they finish normally) and closes the pooled connections.
        The connection stays usable: the next request opens a new pool."""
        self.close()
        http, self._http = self._http, None
        if http is not None and self._loop is asyncio.get_running_loop():
            await http.aclose()

    async def request(
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
            response = await http.send(request, stream=stream)
        except httpx.TransportError as e:
            raise p.unavailable(e, self.url) from e
        if response.is_success:
            return response
        try:
            text = (await response.aread()).decode("utf-8", "replace")
        except httpx.HTTPError:
            text = ""
        finally:
            await response.aclose()
        raise p.error_from_response(response.status_code, response.reason_phrase, text, self.url, bool(token), self._token_file)

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"accept": "application/json", **kwargs.pop("headers", {})}
        response = await self.request(method, path, headers=headers, **kwargs)
        return await self.read_json(response)

    async def read_json(self, response: httpx.Response) -> Any:
        try:
            text = (await response.aread()).decode("utf-8", "replace")
        except httpx.TransportError as e:
            raise p.unavailable(e, self.url) from e
        finally:
            await response.aclose()
        return p.parse_json(text, self.url, response.status_code)
