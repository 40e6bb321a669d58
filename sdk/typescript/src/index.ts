/**
 * `hive`: the TypeScript SDK of Hive.
 *
 * ```ts
 * import { getOrCreateSandbox } from "hive";
 * const sandbox = await getOrCreateSandbox("my-sandbox", { egress: [{ access: "allow", host: "api.github.com" }] });
 * ```
 * The functions below use the default client (from the environment); `createClient({ url, token })` makes others.
 */
import { Hive, createClient } from "./hive.js";
import type { Sandbox } from "./sandbox.js";
import type { EventStream } from "./events.js";
import type { SecretActivity, SecretActivityOptions, SecretCreateOptions, SecretInfo, SecretScopeOptions } from "./secrets.js";
import type { EventPageOptions, EventStreamOptions, HealthInfo, HiveEvent, SandboxConfig } from "./types.js";

export * from "./types.js";
export * from "./errors.js";
export { Connection, resolveConnection, listenToUrl, type ClientOptions } from "./client.js";
export { EventStream, SseParser, streamTiming, type SseFrame } from "./events.js";
export { Sandbox, SandboxFiles } from "./sandbox.js";
export { Terminal, type TerminalOptions } from "./terminal.js";
export { Approval, type ApprovalInfo, type ApprovalAnswerOptions, type ApprovalDecision } from "./approvals.js";
export {
  Secrets, type SecretAuth, type SecretActivity, type SecretActivityOptions, type SecretCreateOptions, type SecretInfo, type SecretScopeOptions,
} from "./secrets.js";
export { Hive, createClient };

let defaultClient: Hive | undefined;

/** The client the top-level functions use; made from the environment on first use. */
export function getDefaultClient(): Hive {
  return (defaultClient ??= new Hive());
}

/** Replaces the default client (`undefined`: read the environment again on next use). */
export function setDefaultClient(client: Hive | undefined): void {
  defaultClient = client;
}

/** Gets the sandbox, creating it with `config` when it does not exist (an existing sandbox keeps its config). */
export async function getOrCreateSandbox(name: string, config: SandboxConfig = {}): Promise<Sandbox> {
  return getDefaultClient().getOrCreateSandbox(name, config);
}

/** The sandbox; {@link NotFoundError} when there is none by that name. */
export async function getSandbox(name: string): Promise<Sandbox> {
  return getDefaultClient().getSandbox(name);
}

/** Every sandbox on the daemon. */
export async function listSandboxes(): Promise<Sandbox[]> {
  return getDefaultClient().listSandboxes();
}

/** Stops and removes a sandbox; its volumes stay. */
export async function deleteSandbox(name: string): Promise<void> {
  return getDefaultClient().deleteSandbox(name);
}

/** Liveness and version of the daemon. */
export async function health(): Promise<HealthInfo> {
  return getDefaultClient().health();
}

/** Events of every sandbox, stored then live, resuming across reconnects. */
export function getEventsStream(options: EventStreamOptions = {}): EventStream {
  return getDefaultClient().getEventsStream(options);
}

/** One page of stored events of every sandbox. */
export async function getEvents(options: EventPageOptions = {}): Promise<HiveEvent[]> {
  return getDefaultClient().getEvents(options);
}

/**
 * Secrets on the default daemon: `await Secret.create({ name, value, provider })`, `list()`, `delete(name)`,
 * `rotate(name, value)`, `activity(name)`. Values go in and never come back.
 */
export const Secret = {
  create: async (options: SecretCreateOptions): Promise<SecretInfo> => getDefaultClient().secrets.create(options),
  list: async (): Promise<SecretInfo[]> => getDefaultClient().secrets.list(),
  delete: async (name: string, options?: SecretScopeOptions): Promise<void> => getDefaultClient().secrets.delete(name, options),
  rotate: async (name: string, value: string | undefined, options?: SecretScopeOptions): Promise<SecretInfo> =>
    getDefaultClient().secrets.rotate(name, value, options),
  activity: async (name: string, options?: SecretActivityOptions): Promise<SecretActivity[]> => getDefaultClient().secrets.activity(name, options),
};

const hive = {
  Hive, createClient, getDefaultClient, setDefaultClient, getOrCreateSandbox, getSandbox, listSandboxes, deleteSandbox,
  health, getEventsStream, getEvents, Secret,
};
export default hive;
