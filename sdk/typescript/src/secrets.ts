import { query, type Connection } from "./client.js";

/**
 * How a custom secret authenticates on its hosts (docs/secrets.md):
 * - `bearer`: `Authorization: Bearer <value>` (`prefix` replaces `Bearer `),
 * - `header`: the header `name` carries the value (with an optional `prefix`),
 * - `basic`: HTTP Basic credentials,
 * - `query`: the query parameter `name` carries the value.
 */
export interface SecretAuth {
  type: "bearer" | "header" | "basic" | "query";
  name?: string;
  prefix?: string;
  /** Bearer only: the value is also accepted as the Basic password of this user (git over HTTPS on github.com). */
  basicUser?: string;
}

/** A secret to store. Give a catalogue `provider`, or custom `hosts` and `auth`. */
export interface SecretCreateOptions {
  /** 1-128 letters, digits, `_`, `.` and `-`; what sandboxes bind through `secrets: { ENV_VAR: name }`. */
  name: string;
  /**
   * The real value. Typed to accept `process.env.X` directly; a missing or empty value is refused before
   * anything is sent. It is stored encrypted and can never be read back.
   */
  value: string | undefined;
  /** A catalogue entry (anthropic, openai, github, google, groq, mistral, xai, openrouter, …): fixes hosts and auth. */
  provider?: string;
  /** Custom secret: the hosts the stand-in is swapped on (same patterns as egress hosts). */
  hosts?: string[];
  /** Custom secret: how the value is sent. */
  auth?: SecretAuth;
  /** Bind into every sandbox created afterwards (`hive secret set -g`). */
  global?: boolean;
  /** Bind into this one sandbox, at once, even while it runs (`hive secret set SANDBOX`). */
  sandbox?: string;
}

/** A stored secret as the daemon describes it; the value is never returned. */
export interface SecretInfo {
  name: string;
  provider?: string;
  hosts: string[];
  auth?: SecretAuth;
  /** `global`, or the sandbox it is scoped to; absent when only bound by name through configs. */
  scope?: "global" | { sandbox: string };
  /** A masked form (at most the first and last 4 characters), when the value is long enough. */
  masked?: string;
  createdAt: string;
  rotatedAt?: string;
}

/** One request that used a secret, or carried its stand-in where it was refused (newest first). */
export interface SecretActivity {
  /** Increasing; pass it as `before` for the next page. */
  id: number;
  ts: string;
  secret: string;
  /** `used`, `misuse` (stand-in sent to another host) or `revoked` (secret deleted or unbound). */
  kind: "used" | "misuse" | "revoked";
  sandbox: string;
  method: string;
  host: string;
  path: string;
  /** The status the sandbox saw (403 when the secret was revoked or misused). */
  status: number;
  /** The upstream's status, when the request was forwarded. */
  upstreamStatus?: number;
  durationMs: number;
  error?: string;
}

export interface SecretActivityOptions {
  /** A status class (`"4xx"`) or an exact status. */
  status?: "2xx" | "3xx" | "4xx" | "5xx" | number;
  /** At most this many entries. */
  limit?: number;
  /** Entries older than this activity id (the next page). */
  before?: number;
  /** Only requests from this sandbox. */
  sandbox?: string;
}

/** Which secret a name means when it exists in several scopes. */
export interface SecretScopeOptions {
  /** The secret scoped to this sandbox (default: the one not scoped to a sandbox, else the only one). */
  sandbox?: string;
}

function secretPath(name: string): string {
  if (typeof name !== "string" || name.trim() === "") throw new TypeError("A secret name is required.");
  return `/v1/secrets/${encodeURIComponent(name)}`;
}

function requireValue(value: unknown, name: string): string {
  // Never echo the value in a message.
  if (typeof value !== "string" || value === "") {
    throw new TypeError(`Secret '${name}' needs a non-empty string value (is the environment variable it comes from set?).`);
  }
  return value;
}

/** Secrets on one daemon (`PUT/GET/DELETE /v1/secrets…`). Values go in and never come back. */
export class Secrets {
  readonly #connection: Connection;

  constructor(connection: Connection) {
    this.#connection = connection;
  }

  /** Stores (creates or replaces) a secret. */
  async create(options: SecretCreateOptions): Promise<SecretInfo> {
    const { name, value, provider, hosts, auth, global, sandbox } = options ?? ({} as SecretCreateOptions);
    const path = secretPath(name);
    const secretValue = requireValue(value, name);
    if (!provider && !(hosts && hosts.length)) throw new TypeError(`Secret '${name}' needs a provider or custom hosts.`);
    if (global && sandbox) throw new TypeError(`Secret '${name}' can be global or scoped to one sandbox, not both.`);
    return this.#connection.json<SecretInfo>("PUT", path, {
      body: { json: { value: secretValue, provider, hosts, auth, global: global || undefined, sandbox } },
    });
  }

  /** Every stored secret (without values). */
  async list(): Promise<SecretInfo[]> {
    return this.#connection.json<SecretInfo[]>("GET", "/v1/secrets");
  }

  /** Deletes a secret: revoked at once, requests carrying its stand-in fail closed. */
  async delete(name: string, options: SecretScopeOptions = {}): Promise<void> {
    const response = await this.#connection.request("DELETE", `${secretPath(name)}${query({ sandbox: options.sandbox })}`);
    await response.body?.cancel();
  }

  /** Replaces a secret's value; bound sandboxes keep running and use the new value on their next request. */
  async rotate(name: string, value: string | undefined, options: SecretScopeOptions = {}): Promise<SecretInfo> {
    const path = secretPath(name);
    return this.#connection.json<SecretInfo>("POST", `${path}/rotate`, {
      body: { json: { value: requireValue(value, name), sandbox: options.sandbox } },
    });
  }

  /** Requests that used the secret, newest first. */
  async activity(name: string, options: SecretActivityOptions = {}): Promise<SecretActivity[]> {
    return this.#connection.json<SecretActivity[]>(
      "GET",
      `${secretPath(name)}/activity${query({ status: options.status, limit: options.limit, before: options.before, sandbox: options.sandbox })}`,
    );
  }
}
