import { Approval, followApprovals, listApprovals } from "./approvals.js";
import { Connection, sandboxPath, type ClientOptions } from "./client.js";
import { EventStream } from "./events.js";
import { Sandbox, getEventsPage } from "./sandbox.js";
import { Secrets } from "./secrets.js";
import type { EventPageOptions, EventStreamOptions, HealthInfo, HiveEvent, SandboxConfig, SandboxInfo } from "./types.js";

/**
 * A client of one Hive daemon. `new Hive()` (or `createClient()`) reads `HIVE_URL` / `HIVE_TOKEN`, else
 * `HIVE_LISTEN` and `$HIVE_HOME/token`; `createClient({ url, token })` talks to a given daemon.
 */
export class Hive {
  readonly connection: Connection;
  /** Secrets on this daemon. */
  readonly secrets: Secrets;

  constructor(options: ClientOptions = {}) {
    this.connection = new Connection(options);
    this.secrets = new Secrets(this.connection);
  }

  /** The daemon's base URL. */
  get url(): string {
    return this.connection.url;
  }

  /** Gets the sandbox, creating it with `config` when it does not exist (an existing sandbox keeps its config). */
  async getOrCreateSandbox(name: string, config: SandboxConfig = {}): Promise<Sandbox> {
    const response = await this.connection.request("PUT", sandboxPath(name), { body: { json: config ?? {} } });
    const info = await this.connection.readJson<SandboxInfo>(response);
    return new Sandbox(this.connection, info, response.status === 201);
  }

  /** The sandbox; {@link NotFoundError} when there is none by that name. */
  async getSandbox(name: string): Promise<Sandbox> {
    return new Sandbox(this.connection, await this.connection.json<SandboxInfo>("GET", sandboxPath(name)));
  }

  async listSandboxes(): Promise<Sandbox[]> {
    const list = await this.connection.json<SandboxInfo[]>("GET", "/v1/sandboxes");
    return list.map((info) => new Sandbox(this.connection, info));
  }

  /** Stops and removes a sandbox; its volumes stay. */
  async deleteSandbox(name: string): Promise<void> {
    const response = await this.connection.request("DELETE", sandboxPath(name));
    await response.body?.cancel();
  }

  /** Liveness and version; needs no token. */
  async health(): Promise<HealthInfo> {
    return this.connection.json<HealthInfo>("GET", "/v1/health");
  }

  /** Events of every sandbox: stored ones after `after`, then live; resumes across reconnects (see {@link EventStream}). */
  getEventsStream(options: EventStreamOptions = {}): EventStream {
    return new EventStream(this.connection, "/v1/events", options);
  }

  /** One page of stored events of every sandbox. */
  async getEvents(options: EventPageOptions = {}): Promise<HiveEvent[]> {
    return getEventsPage(this.connection, "/v1/events", options);
  }

  /**
   * Requests the egress proxy holds for a person, as they arrive (those already waiting first):
   * `for await (const a of hive.approvals()) await a.allow();`. Stops when `signal` aborts or the client closes.
   */
  approvals(options: { sandbox?: string; signal?: AbortSignal } = {}): AsyncGenerator<Approval> {
    return followApprovals(this.connection, options);
  }

  /** The requests waiting for a decision now. */
  async listApprovals(sandbox?: string): Promise<Approval[]> {
    return listApprovals(this.connection, sandbox);
  }

  /** Ends every open event stream of this client (they finish normally) and aborts its requests in flight. */
  close(): void {
    this.connection.close();
  }
}

/** A client for a given daemon, e.g. `createClient({ url: "http://127.0.0.1:9000", token })`. */
export function createClient(options: ClientOptions = {}): Hive {
  return new Hive(options);
}
