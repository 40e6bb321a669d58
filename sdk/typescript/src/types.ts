/**
 * The shapes the daemon speaks (docs/configuration.md, docs/api.md, docs/events.md). JSON is camelCase; every config field is optional and takes
 * the daemon's default when omitted.
 */

/** File access of an ACL rule: `rw` read-write, `ro` read-only (writes fail with EROFS), `deny` (ENOENT, hidden). */
export type AclAccess = "rw" | "ro" | "deny";

/** One file ACL rule. Rules are evaluated in order; the first match wins; no match denies. */
export interface AclRule {
  /**
   * Absolute path pattern inside the mount: `*` matches within one segment, `**` any number of segments
   * (including none, so `/workspace/**` matches `/workspace` itself), `?` one character.
   */
  path: string;
  access: AclAccess;
}

/** Storage backend of a mount. */
export type FsBackend = "local" | "azure";

/** A path in the sandbox backed by storage through the mediating file system. */
export interface FsMount {
  /** `local` (a named volume or a host directory) or `azure` (a blob container). */
  backend: FsBackend;
  /** Absolute path inside the sandbox, e.g. `/workspace`; unique, and never inside another mount. Immutable. */
  mount: string;
  /** `local`: the named volume; default `<sandbox>-<mount slug>` (e.g. `my-sandbox-workspace`). Volumes outlive sandboxes. */
  volume?: string;
  /** `local`: a host directory to mount instead of a volume. */
  origin?: string;
  /** `azure`: the blob container. */
  container?: string;
  /** `azure`: a prefix inside the container. */
  prefix?: string;
  /** Ordered ACL rules, first match wins. Omitted: the whole mount is `rw`. */
  acls?: AclRule[];
}

/** Values set (replaced or added) on every request an egress rule allows. Write-only: read back as `"***"`. */
export interface EgressOverride {
  /** Headers to set on every matching outbound request. */
  headers?: Record<string, string>;
  /** Query parameters to set on every matching outbound request. */
  query?: Record<string, string>;
}

/** The body of an egress rule, without its access (as written inside `{ allow: [...], deny: [...] }`). */
export interface EgressRuleBody {
  /**
   * Exact name (`api.github.com`), `*.example.com` (example.com and every subdomain at any depth), `*`
   * (everything), an IP literal, or a CIDR (`10.1.0.0/16`). Case-insensitive; one trailing dot ignored.
   */
  host: string;
  /** Destination ports; omitted = any. */
  ports?: number[];
  /** HTTP methods, case-insensitive; omitted = any. A rule with methods is decided on HTTP (TLS is terminated). */
  methods?: string[];
  /** Globs on the normalised URL path (`*` within a segment, `**` across); omitted = any. Query ignored. */
  paths?: string[];
  /** Headers and query parameters set on every request this rule allows (allow rules only). */
  override?: EgressOverride;
}

/** One ordered egress rule. Rules are evaluated in order; the first matching rule decides; no match denies. */
export interface EgressRule extends EgressRuleBody {
  /** `ask` holds what the rule matches until a person allows or denies it. */
  access: "allow" | "deny" | "ask";
}

/** A rule inside the `{ allow, deny }` shape: `access` may be omitted (it is implied by the group). */
export interface GroupedEgressRule extends EgressRuleBody {
  access?: "allow" | "deny";
}

/**
 * The grouped egress shape. The daemon normalises it to the list form: deny rules first, then allow rules,
 * each with its `access` filled in.
 */
export interface EgressGroups {
  allow?: GroupedEgressRule[];
  deny?: GroupedEgressRule[];
}

/** cgroup limits of a sandbox. */
export interface Resources {
  /** CPUs (fractions allowed), default 1. */
  cpus?: number;
  /** Memory limit in MiB, default 1024. */
  memoryMb?: number;
  /** Maximum number of processes, default 512. */
  pids?: number;
}

/** The configuration of a sandbox (docs/configuration.md). Unknown fields are rejected with 400 and the field's JSON path. */
export interface SandboxConfig {
  /** Image the sandbox boots from, e.g. `hive/base` (the default) or `myorg/tool:latest`. Immutable after creation. */
  image?: string;
  /** Environment variables of every process in the sandbox. Immutable after creation. */
  env?: Record<string, string>;
  /**
   * Environment variable → secret name. The sandbox sees a stand-in shaped like the real value, never the value;
   * the egress proxy swaps it on the secret's hosts. Changeable at runtime.
   */
  secrets?: Record<string, string>;
  /** Mounts. Omitted: one `local` mount at `/workspace` (volume `<sandbox>-workspace`), all `rw`. */
  fs?: FsMount[];
  /**
   * Outbound traffic: an ordered list of rules, or `{ allow: [...], deny: [...] }`.
   * Omitted or empty: **all outbound traffic is denied**, DNS included. Changeable at runtime.
   */
  egress?: EgressRule[] | EgressGroups;
  /** What a request no rule matches gets: `deny` (default) or `ask` (held for a person). */
  egressDefault?: "deny" | "ask";
  /** Seconds a held request waits for a decision (default 120, at most 3600). */
  askTimeout?: number;
  /** Idle seconds before the sandbox stops; 0 = never. */
  ttl?: number;
  /** CPU, memory and process limits. */
  resources?: Resources;
}

/**
 * A config as the daemon returns it: normalised, every default filled in, egress in list form, override values
 * redacted as `"***"`. Assignable to {@link SandboxConfig}, so it can be spread into `applyConfig`.
 */
export interface ResolvedSandboxConfig extends SandboxConfig {
  image: string;
  env: Record<string, string>;
  secrets: Record<string, string>;
  fs: FsMount[];
  egress: EgressRule[];
  egressDefault: "deny" | "ask";
  askTimeout: number;
  ttl: number;
  resources: Required<Resources>;
}

/** Lifecycle state of a sandbox. */
export type SandboxStatus = "creating" | "running" | "stopped" | "failed" | "lost";

/** A sandbox as `GET /v1/sandboxes/{name}` describes it. */
export interface SandboxInfo {
  name: string;
  status: SandboxStatus;
  image?: string;
  config: ResolvedSandboxConfig;
  /** Where the sandbox's port 8080 is reached through the daemon. */
  url: string;
  /** RFC 3339. */
  createdAt: string;
  /** Why the sandbox failed, when it did. */
  error?: string;
}

/** The outcome of `applyConfig` (docs/api.md). */
export interface ApplyResult {
  applied: boolean;
  /** The config now in force (override values redacted). */
  config: ResolvedSandboxConfig;
  /** What changed, one line per change. */
  changes: string[];
  warnings: string[];
}

/** What `GET /v1/health` says. */
export interface HealthInfo {
  status: string;
  version?: string;
}

/** Options of `sandbox.exec`. */
export interface ExecOptions {
  /** Working directory inside the sandbox (absolute). */
  cwd?: string;
  /** Extra environment variables for this command. */
  env?: Record<string, string>;
  /** Text fed to the command's standard input. */
  stdin?: string;
  /** Kill the command after this many milliseconds (the result then has `timedOut: true`). */
  timeoutMs?: number;
  /** Called with each chunk of standard output as it comes. Giving a callback makes the call stream (SSE). */
  onStdout?: (chunk: string) => void | Promise<void>;
  /** Called with each chunk of standard error as it comes. Giving a callback makes the call stream (SSE). */
  onStderr?: (chunk: string) => void | Promise<void>;
  /** Aborting closes the request, which kills the command. */
  signal?: AbortSignal;
}

/** The outcome of a command run to completion. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  /** Whether `stdout` holds only the first MiB of the command's output (the whole answer keeps at most that; stream for all of it). */
  stdoutTruncated: boolean;
  /** Whether `stderr` holds only the first MiB. */
  stderrTruncated: boolean;
  /** Set when output was cut: how much there was, and how to get all of it. */
  note?: string;
}

/** An entry of a directory listing. */
export interface FileEntry {
  name: string;
  /** `file`, `dir`, `symlink` or `other`. */
  type: "file" | "dir" | "symlink" | "other" | (string & {});
  size: number;
  /** RFC 3339. */
  mtime: string;
}

/**
 * One record of the audit log (docs/events.md). Every event has `id`, `ts`, `sandbox` and `type`; the other fields depend
 * on the type, e.g. `egress.request` has `access`, `host`, `port`, `method`, `path`, `query`, `rule`, `reason`,
 * `secrets`. Secret and override values never appear in events.
 */
export interface HiveEvent {
  /** Increasing int64 id; resume a stream after it. */
  id: number;
  /** RFC 3339 time. */
  ts: string;
  /** The sandbox's name. */
  sandbox: string;
  /**
   * `sandbox.created|started|stopped|destroyed|expired`, `config.apply`, `egress.request`, `egress.response`,
   * `dns.query`, `fs.request`, `fs.response`, `exec.request`, `exec.response`, `llm.call`,
   * `secret.used|misuse|revoked`.
   */
  type: string;
  /** egress.request, fs.request: `allowed` or `denied`. */
  access?: "allowed" | "denied" | (string & {});
  /** egress.request, secret.*: destination host. */
  host?: string;
  /** egress.request: HTTP method, or `TLS` / `TCP`. */
  method?: string;
  /** egress.request, fs.request, secret.*: path. */
  path?: string;
  /** Any other field of the event. */
  [field: string]: unknown;
}

/** Options of an event stream. */
export interface EventStreamOptions {
  /** Type patterns such as `egress.*` or `["fs.request", "exec.*"]`; omitted = every type. */
  types?: string | string[];
  /** Start after this event id (exclusive); omitted = from the first stored event, then live. */
  after?: number;
  /** Aborting ends the stream with an AbortError. */
  signal?: AbortSignal;
}

/** Options of one page of stored events. */
export interface EventPageOptions {
  types?: string | string[];
  /** Events after this id (exclusive); default 0, the beginning. */
  after?: number;
  /** At most this many events (the daemon caps it at 10000; default 1000). */
  limit?: number;
}
