"""The shapes the daemon speaks (SPEC §2, §3, §5).

Configs are plain dicts with the daemon's camelCase JSON keys (``{"egress": [...], "resources": {"memoryMb": 512}}``),
typed as ``TypedDict``s; every field is optional and takes the daemon's default when omitted. Results the SDK shapes
(``ExecResult``, ``ApplyResult``, ``FileEntry``) are dataclasses with snake_case attributes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Literal, Optional, TypedDict, Union

AclAccess = Literal["rw", "ro", "deny"]
"""``rw`` read-write, ``ro`` read-only (writes fail with EROFS), ``deny`` (ENOENT, hidden from listings)."""


class AclRule(TypedDict):
    """One file ACL rule. Rules are evaluated in order; the first match wins; no match denies.

    ``path``: absolute pattern inside the mount; ``*`` within one segment, ``**`` any number of segments
    (``/workspace/**`` matches ``/workspace`` itself), ``?`` one character."""

    path: str
    access: AclAccess


class _FsMountRequired(TypedDict):
    backend: Literal["local", "azure"]
    mount: str
    """Absolute path inside the sandbox, e.g. ``/workspace``; unique, never inside another mount. Immutable."""


class FsMount(_FsMountRequired, total=False):
    """A path in the sandbox backed by storage through the mediating file system."""

    volume: str
    """``local``: the named volume; default ``<sandbox>-<mount slug>``. Volumes outlive sandboxes."""
    origin: str
    """``local``: a host directory to mount instead of a volume."""
    container: str
    prefix: str
    acls: List[AclRule]
    """Ordered ACL rules, first match wins. Omitted: the whole mount is ``rw``."""


class EgressOverride(TypedDict, total=False):
    """Values set on every request an egress rule allows. Write-only: read back as ``"***"``."""

    headers: Dict[str, str]
    query: Dict[str, str]


class _EgressHost(TypedDict):
    host: str
    """``api.github.com``, ``*.example.com`` (the domain and every subdomain), ``*``, an IP literal or a CIDR."""


class EgressRuleBody(_EgressHost, total=False):
    access: Literal["allow", "deny", "ask"]
    """``ask``: the proxy holds what it matches until a person allows or denies it (``hive.approvals()``)."""
    ports: List[int]
    """Destination ports; omitted = any."""
    methods: List[str]
    """HTTP methods, case-insensitive; omitted = any (a rule with methods is decided on HTTP)."""
    paths: List[str]
    """Globs on the normalised URL path; omitted = any."""
    override: EgressOverride


EgressRule = EgressRuleBody
"""One ordered egress rule (``access`` is required in the list form). The first matching rule decides."""


class EgressGroups(TypedDict, total=False):
    """``{"allow": [...], "deny": [...]}``: normalised by the daemon to the list form, deny rules first."""

    allow: List[EgressRuleBody]
    deny: List[EgressRuleBody]


class Resources(TypedDict, total=False):
    cpus: float
    memoryMb: int
    pids: int


class SandboxConfig(TypedDict, total=False):
    """The configuration of a sandbox (SPEC §2). Unknown fields are rejected with 400 and the field's JSON path."""

    image: str
    """Image the sandbox boots from (default ``hive/base``). Immutable after creation."""
    env: Dict[str, str]
    """Environment of every process in the sandbox. Immutable after creation."""
    secrets: Dict[str, str]
    """Environment variable -> secret name; the sandbox sees a stand-in, never the value. Changeable at runtime."""
    fs: List[FsMount]
    """Mounts. Omitted: one ``local`` mount at ``/workspace``, all ``rw``."""
    egress: Union[List[EgressRule], EgressGroups]
    """Outbound rules. Omitted or empty: **all outbound traffic is denied**, DNS included."""
    egressDefault: Literal["deny", "ask"]
    """What no egress rule matches gets: ``deny`` (the default) or ``ask`` (held for a person). Changeable."""
    askTimeout: int
    """Seconds a held request waits for a decision before it is denied (default 120, 1-3600). Changeable."""
    ttl: int
    """Idle seconds before the sandbox stops; 0 = never."""
    resources: Resources


SandboxStatus = Literal["creating", "running", "stopped", "failed", "lost"]


class SandboxInfo(TypedDict, total=False):
    """A sandbox as ``GET /v1/sandboxes/{name}`` describes it."""

    name: str
    status: SandboxStatus
    image: str
    config: SandboxConfig
    url: str
    createdAt: str
    error: str


class HealthInfo(TypedDict, total=False):
    status: str
    version: str


class SecretAuth(TypedDict, total=False):
    """How a custom secret authenticates on its hosts: ``bearer``, ``header`` (``name``), ``basic`` or ``query``
    (``name``), with an optional ``prefix``."""

    type: Literal["bearer", "header", "basic", "query"]
    name: str
    prefix: str
    basicUser: str


class SecretInfo(TypedDict, total=False):
    """A stored secret as the daemon describes it; the value is never returned."""

    name: str
    provider: str
    hosts: List[str]
    auth: SecretAuth
    scope: Union[str, Dict[str, str]]
    """``"global"``, or ``{"sandbox": name}``."""
    masked: str
    createdAt: str
    rotatedAt: str


class SecretActivity(TypedDict, total=False):
    """One request that used a secret, or carried its stand-in where it was refused (newest first)."""

    id: int
    ts: str
    secret: str
    kind: Literal["used", "misuse", "revoked"]
    sandbox: str
    method: str
    host: str
    path: str
    status: int
    upstreamStatus: int
    durationMs: int
    error: str


@dataclass(frozen=True)
class ExecResult:
    """The outcome of a command run to completion."""

    exit_code: int
    stdout: str
    stderr: str
    duration_ms: int
    timed_out: bool = False
    #: Whether ``stdout`` holds only the first MiB of the command's output (stream the command for all of it).
    stdout_truncated: bool = False
    #: Whether ``stderr`` holds only the first MiB.
    stderr_truncated: bool = False
    #: Set when output was cut: how much there was, and how to get all of it.
    note: Optional[str] = None


@dataclass(frozen=True)
class ExecOutput:
    """A chunk of a running command's output, as it came."""

    stream: Literal["stdout", "stderr"]
    data: str


@dataclass(frozen=True)
class ApplyResult:
    """The outcome of ``apply_config`` (SPEC §3)."""

    applied: bool
    config: SandboxConfig
    """The config now in force (override values redacted)."""
    changes: List[str] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class FileEntry:
    """An entry of a directory listing."""

    name: str
    type: str
    """``file``, ``dir``, ``symlink`` or ``other``."""
    size: int
    mtime: str


class Event(Dict[str, Any]):
    """One record of the audit log (SPEC §5): the event's JSON object, with its common fields as attributes too.

    ``event.type``, ``event.id``, ``event.ts``, ``event.sandbox`` always exist; ``event.access``, ``event.host``,
    ``event.method``, ``event.path`` are ``None`` on events without them. Any other field: ``event["op"]``,
    ``event.get("status")``, or ``event.op`` (AttributeError when the event has no such field).
    """

    @property
    def id(self) -> int:
        return int(self["id"])

    @property
    def ts(self) -> str:
        return str(self.get("ts", ""))

    @property
    def sandbox(self) -> str:
        return str(self.get("sandbox", ""))

    @property
    def type(self) -> str:
        return str(self.get("type", ""))

    @property
    def access(self) -> Optional[str]:
        return self.get("access")

    @property
    def host(self) -> Optional[str]:
        return self.get("host")

    @property
    def method(self) -> Optional[str]:
        return self.get("method")

    @property
    def path(self) -> Optional[str]:
        return self.get("path")

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"this {self.get('type', '')} event has no field '{name}' (it has: {', '.join(self)})"
            ) from None
