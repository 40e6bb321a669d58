"""Where the daemon is and which token to send, found the way the ``hive`` CLI finds them."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Mapping

from ._errors import HiveError

DEFAULT_HOME = "/var/lib/hive"
DEFAULT_LISTEN = "127.0.0.1:9000"

_HTTP_URL = re.compile(r"^https?://[^/]", re.IGNORECASE)


@dataclass(frozen=True)
class ConnectionSettings:
    url: str
    token: str | None = None
    token_file: str | None = None
    """Read on use while ``token`` is None (so a client made before the daemon's first start works)."""


def resolve_connection(env: Mapping[str, str] | None = None) -> ConnectionSettings:
    """URL from ``HIVE_URL``, else ``http://`` + ``HIVE_LISTEN`` (else ``listen`` in ``$HIVE_HOME/daemon.json``,
    else ``127.0.0.1:9000``); token from ``HIVE_TOKEN``, else the file ``$HIVE_HOME/token``
    (``HIVE_HOME`` defaults to ``/var/lib/hive``)."""
    env = os.environ if env is None else env
    home = os.path.abspath(env["HIVE_HOME"]) if env.get("HIVE_HOME") else DEFAULT_HOME
    url = env.get("HIVE_URL") or ""
    if url:
        check_url(url, "HIVE_URL")
    else:
        url = listen_to_url(env.get("HIVE_LISTEN") or _listen_from_settings(home) or DEFAULT_LISTEN)
    token = env.get("HIVE_TOKEN") or None
    return ConnectionSettings(url, token, None if token else os.path.join(home, "token"))


def check_url(url: str, what: str = "The daemon URL") -> str:
    if not isinstance(url, str) or not _HTTP_URL.match(url):
        raise HiveError(f"{what} '{url}' is not an absolute http(s) URL, e.g. http://127.0.0.1:9000.")
    return url.rstrip("/")


def listen_to_url(listen: str) -> str:
    """The URL a client dials for a listen address (``0.0.0.0:9000`` and ``:9000`` mean loopback)."""
    listen = listen.strip()
    if "://" in listen:
        return listen
    host, colon, port = listen.rpartition(":")
    if not colon:
        host, port = listen, "9000"
    if host in ("", "0.0.0.0", "*", "+"):
        host = "127.0.0.1"
    elif host in ("[::]", "::"):
        host = "[::1]"
    return f"http://{host}:{port}"


def _listen_from_settings(home: str) -> str | None:
    try:
        with open(os.path.join(home, "daemon.json"), encoding="utf-8") as f:
            settings = json.load(f)
    except (OSError, ValueError):
        return None
    listen = settings.get("listen") if isinstance(settings, dict) else None
    return listen if isinstance(listen, str) and listen else None


def read_token_file(path: str | None) -> str | None:
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip() or None
    except OSError:
        # not there (yet), or not readable by this user: requests go without a token and get a clear 401
        return None
