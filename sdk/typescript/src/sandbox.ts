import { isAbort, query, sandboxPath, type Connection } from "./client.js";
import { HiveError, type ProblemDetails } from "./errors.js";
import { EventStream, readSse, type SseFrame } from "./events.js";
import { Terminal, type TerminalOptions } from "./terminal.js";
import type {
  ApplyResult, EventPageOptions, EventStreamOptions, ExecOptions, ExecResult, FileEntry, HiveEvent,
  ResolvedSandboxConfig, SandboxConfig, SandboxInfo, SandboxStatus,
} from "./types.js";

/** A sandbox on a Hive daemon: its state as last read, and the operations on it. */
export class Sandbox {
  #info!: SandboxInfo;
  readonly #connection: Connection;
  readonly #path: string;
  /** True when the call that returned this object created the sandbox (201), false when it existed. */
  readonly created: boolean;
  /** Files in the sandbox's mounts, read and written as the owner (recorded, not subject to the agent's ACLs). */
  readonly files: SandboxFiles;

  constructor(connection: Connection, info: SandboxInfo, created = false) {
    this.#connection = connection;
    this.#path = sandboxPath(info.name);
    this.created = created;
    this.files = new SandboxFiles(connection, this.#path);
    this.#set(info);
  }

  get name(): string { return this.#info.name; }
  /** `creating`, `running`, `stopped`, `failed` or `lost`, as of the last read (see {@link refresh}). */
  get status(): SandboxStatus { return this.#info.status; }
  get image(): string | undefined { return this.#info.image ?? this.#info.config?.image; }
  /** Absolute URL of the sandbox's port 8080 (the default image's MCP server), through the daemon. */
  get url(): string { return this.#info.url; }
  /** The config as of the last read (override values redacted as `***`). */
  get config(): ResolvedSandboxConfig { return this.#info.config; }
  /** RFC 3339. */
  get createdAt(): string { return this.#info.createdAt; }
  /** The sandbox as the daemon last described it. */
  get info(): SandboxInfo { return this.#info; }

  #set(info: SandboxInfo): void {
    // The daemon may send the URL relative to itself; callers get one they can dial.
    if (info.url && !/^https?:\/\//i.test(info.url)) info = { ...info, url: new URL(info.url, this.#connection.url + "/").href };
    this.#info = info;
  }

  /** Reads the sandbox's state again. */
  async refresh(): Promise<this> {
    this.#set(await this.#connection.json<SandboxInfo>("GET", this.#path));
    return this;
  }

  /** The current config: normalised, defaults filled in, override values redacted as `***`. */
  async getConfig(): Promise<ResolvedSandboxConfig> {
    return this.#connection.json<ResolvedSandboxConfig>("GET", `${this.#path}/config`);
  }

  /**
   * Applies a whole config atomically (egress, secrets, ACLs, ttl, resources can change; image, env and mounts
   * cannot). Throws {@link ValidationError} when it is invalid (400) or changes an immutable field (422),
   * {@link ConflictError} while another apply runs (409).
   */
  async applyConfig(config: SandboxConfig): Promise<ApplyResult> {
    const result = await this.#connection.json<ApplyResult>("PUT", `${this.#path}/config`, { body: { json: config ?? {} } });
    if (result.applied) this.#info = { ...this.#info, config: result.config };
    return result;
  }

  /**
   * Opens an interactive terminal: a command (default: the login shell) under a pseudo-terminal in the sandbox.
   * `write` keys, `resize`, `output`/`onData`, `await exited` for the exit status; `close()` kills what still runs.
   * Recorded as `exec.request` (`terminal: true`) and `exec.response`.
   */
  async terminal(options: TerminalOptions = {}): Promise<Terminal> {
    return Terminal.open(this.#connection.url, `${this.#path}/terminal`, this.#connection.token, options);
  }

  /**
   * Runs a command to completion: an argv list (`["ls", "-la"]`) or a shell line (`"ls | wc -l"`, run by
   * `/bin/sh -c`). With `onStdout`/`onStderr` the output streams (SSE) and the callbacks see it in order as it
   * comes; the result always holds all of it.
   */
  async exec(command: string | string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (typeof command === "string" ? command.trim() === "" : !Array.isArray(command) || command.length === 0) {
      throw new TypeError("exec needs a command: a non-empty string or a non-empty array of strings.");
    }
    const { onStdout, onStderr, signal, cwd, env, stdin, timeoutMs } = options;
    const body = { json: { command, cwd, env, stdin, timeoutMs } };
    const path = `${this.#path}/exec`;
    if (!onStdout && !onStderr) {
      const r = await this.#connection.json<ExecResult>("POST", path, { body, signal });
      return { ...r, timedOut: !!r.timedOut, stdoutTruncated: !!r.stdoutTruncated, stderrTruncated: !!r.stderrTruncated };
    }

    const response = await this.#connection.request("POST", path, { body, signal, headers: { accept: "text/event-stream" } });
    if (!(response.headers.get("content-type") ?? "").includes("text/event-stream")) {
      // A daemon that does not stream answers with the whole result.
      const r = await this.#connection.readJson<ExecResult>(response);
      if (r.stdout) await onStdout?.(r.stdout);
      if (r.stderr) await onStderr?.(r.stderr);
      return { ...r, timedOut: !!r.timedOut, stdoutTruncated: !!r.stdoutTruncated, stderrTruncated: !!r.stderrTruncated };
    }
    let stdout = "";
    let stderr = "";
    const frames = readSse(response.body!);
    try {
      while (true) {
        let next: IteratorResult<SseFrame>;
        try {
          next = await frames.next();
        } catch (e) {
          if (signal?.aborted || isAbort(e)) throw e;
          throw this.#connection.unavailable(e);
        }
        if (next.done) break;
        const frame = next.value;
        switch (frame.event) {
          case "stdout":
          case "stderr": {
            const data = parseFrame<{ data?: string }>(frame).data;
            if (!data) break;
            if (frame.event === "stdout") {
              stdout += data;
              await onStdout?.(data);
            } else {
              stderr += data;
              await onStderr?.(data);
            }
            break;
          }
          case "exit": {
            const exit = parseFrame<{ exitCode: number; durationMs: number; timedOut?: boolean }>(frame);
            return { exitCode: exit.exitCode, stdout, stderr, durationMs: exit.durationMs, timedOut: !!exit.timedOut, stdoutTruncated: false, stderrTruncated: false };
          }
          case "error": {
            const problem = parseFrame<ProblemDetails>(frame);
            throw HiveError.fromProblem(problem.status ?? 500, problem, frame.data);
          }
        }
      }
    } finally {
      // Leaving early (a callback threw, abort) closes the request, which stops the command.
      await frames.return(undefined);
    }
    throw new HiveError(`The exec stream of sandbox '${this.name}' ended before the command's exit status arrived; the command was stopped.`);
  }

  /**
   * This sandbox's events: the stored ones after `after` (default: from the first), then live ones as they
   * happen. Reconnects with the last id seen when the connection drops or the daemon restarts: nothing is
   * skipped or repeated. `types`: patterns such as `egress.*` or `["fs.request", "exec.*"]`.
   */
  getEventsStream(options: EventStreamOptions = {}): EventStream {
    return new EventStream(this.#connection, `${this.#path}/events`, options);
  }

  /** One page of this sandbox's stored events (no waiting). */
  async getEvents(options: EventPageOptions = {}): Promise<HiveEvent[]> {
    return getEventsPage(this.#connection, `${this.#path}/events`, options);
  }

  /** Stops and removes the sandbox (`DELETE`); its volumes stay. */
  async shutdown(): Promise<void> {
    await this.#connection.request("DELETE", this.#path);
    this.#info = { ...this.#info, status: "stopped" };
  }

  toJSON(): SandboxInfo {
    return this.#info;
  }

  toString(): string {
    return `${this.name} (${this.status})`;
  }
}

function parseFrame<T>(frame: SseFrame): T {
  try {
    return JSON.parse(frame.data) as T;
  } catch {
    throw new HiveError(`The daemon sent an exec '${frame.event}' frame that is not JSON: ${frame.data.slice(0, 200)}`);
  }
}

export function getEventsPage(connection: Connection, path: string, options: EventPageOptions): Promise<HiveEvent[]> {
  const types = Array.isArray(options.types) ? options.types.join(",") : options.types;
  return connection.json<HiveEvent[]>("GET", path + query({ follow: false, types, after: options.after, limit: options.limit }));
}

/**
 * Files in a sandbox's mounts, by absolute in-sandbox path (`/workspace/notes.md`). Access is the owner's:
 * recorded in the event log, not subject to the agent's ACLs.
 */
export class SandboxFiles {
  readonly #connection: Connection;
  readonly #base: string;

  constructor(connection: Connection, sandboxPath: string) {
    this.#connection = connection;
    this.#base = `${sandboxPath}/files/`;
  }

  #path(path: string): string {
    if (typeof path !== "string" || path.trim() === "") throw new TypeError("A file path is required, e.g. /workspace/notes.md.");
    return this.#base + path.split("/").filter((p) => p !== "").map(encodeURIComponent).join("/");
  }

  /** The whole content of a file. */
  async read(path: string): Promise<Uint8Array> {
    const response = await this.#connection.request("GET", this.#path(path));
    if (isJson(response)) {
      await response.body?.cancel();
      throw new HiveError(`'${path}' is a directory; list it with files.list.`, { status: 400 });
    }
    return new Uint8Array(await response.arrayBuffer());
  }

  /** A file decoded as UTF-8. */
  async readText(path: string): Promise<string> {
    return new TextDecoder().decode(await this.read(path));
  }

  /** Writes (creates or replaces) a file, creating its parent directories. */
  async write(path: string, content: string | Uint8Array | ArrayBuffer): Promise<void> {
    const raw = content instanceof ArrayBuffer ? new Uint8Array(content) : content;
    if (typeof raw !== "string" && !(raw instanceof Uint8Array)) throw new TypeError("File content must be a string, Uint8Array or ArrayBuffer.");
    const response = await this.#connection.request("PUT", this.#path(path), { body: { raw } });
    await response.body?.cancel();
  }

  /** Deletes a file (or an empty directory). */
  async delete(path: string): Promise<void> {
    const response = await this.#connection.request("DELETE", this.#path(path));
    await response.body?.cancel();
  }

  /** The entries of a directory. */
  async list(dir: string): Promise<FileEntry[]> {
    const response = await this.#connection.request("GET", this.#path(dir));
    if (!isJson(response)) {
      await response.body?.cancel();
      throw new HiveError(`'${dir}' is a file, not a directory.`, { status: 400 });
    }
    return this.#connection.readJson<FileEntry[]>(response);
  }
}

function isJson(response: Response): boolean {
  return (response.headers.get("content-type") ?? "").startsWith("application/json");
}
