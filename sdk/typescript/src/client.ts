import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { HiveError, UnavailableError, type ProblemDetails } from "./errors.js";

/**
 * How to reach a daemon. Without `url`, URL and token come from the environment (see {@link resolveConnection});
 * with `url`, the token is only the one given (a local token is never sent to another address).
 */
export interface ClientOptions {
  /** The daemon, e.g. `http://127.0.0.1:9000`. */
  url?: string;
  /** The bearer token (the content of `$HIVE_HOME/token`). */
  token?: string;
  /** A fetch implementation (tests, proxies); default: Node's global fetch. */
  fetch?: typeof fetch;
}

export const DEFAULT_HOME = "/var/lib/hive";
export const DEFAULT_LISTEN = "127.0.0.1:9000";

type Env = Record<string, string | undefined>;

/**
 * URL and token as the CLI finds them: URL from `HIVE_URL`, else `http://` + `HIVE_LISTEN` (else `listen` in
 * `$HIVE_HOME/daemon.json`, else `127.0.0.1:9000`); token from `HIVE_TOKEN`, else the file `$HIVE_HOME/token`
 * (`HIVE_HOME` defaults to `/var/lib/hive`).
 */
export function resolveConnection(env: Env = process.env): { url: string; token?: string; tokenFile?: string } {
  const home = env.HIVE_HOME ? resolve(env.HIVE_HOME) : DEFAULT_HOME;
  let url: string;
  if (env.HIVE_URL) {
    if (!/^https?:\/\/[^/]/i.test(env.HIVE_URL)) throw new HiveError(`HIVE_URL '${env.HIVE_URL}' is not an http(s) URL, e.g. http://127.0.0.1:9000.`);
    url = env.HIVE_URL;
  } else {
    url = listenToUrl(env.HIVE_LISTEN || listenFromSettings(home) || DEFAULT_LISTEN);
  }
  const token = env.HIVE_TOKEN || undefined;
  return { url, token, tokenFile: token ? undefined : join(home, "token") };
}

/** The URL a client dials for a listen address (`0.0.0.0:9000` and `:9000` mean loopback). */
export function listenToUrl(listen: string): string {
  listen = listen.trim();
  if (listen.includes("://")) return listen;
  const colon = listen.lastIndexOf(":");
  let host = colon < 0 ? listen : listen.slice(0, colon);
  const port = colon < 0 ? "9000" : listen.slice(colon + 1);
  if (host === "" || host === "0.0.0.0" || host === "*" || host === "+") host = "127.0.0.1";
  else if (host === "[::]" || host === "::") host = "[::1]";
  return `http://${host}:${port}`;
}

function listenFromSettings(home: string): string | undefined {
  try {
    const settings = JSON.parse(readFileSync(join(home, "daemon.json"), "utf8"));
    return typeof settings?.listen === "string" && settings.listen ? settings.listen : undefined;
  } catch {
    return undefined;
  }
}

/** A request body: JSON (any value), or raw bytes/text sent as `application/octet-stream`. */
export type Body = { json: unknown } | { raw: string | Uint8Array };

export interface RequestOptions {
  body?: Body;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * The HTTP layer: base URL, bearer token, problem+json mapping to typed errors. One per daemon; cheap to share.
 */
export class Connection {
  /** The daemon's base URL, without a trailing slash. */
  readonly url: string;
  #token?: string;
  readonly #tokenFile?: string;
  readonly #fetch: typeof fetch;
  #closer = new AbortController();
  readonly #closeHandlers = new Set<() => void>();

  constructor(options: ClientOptions & { tokenFile?: string } = {}) {
    const fromEnv = options.url === undefined ? resolveConnection() : undefined;
    const url = options.url ?? fromEnv!.url;
    if (!/^https?:\/\/[^/]/i.test(url)) throw new HiveError(`The daemon URL '${url}' must be absolute http(s), e.g. http://127.0.0.1:9000.`);
    this.url = url.replace(/\/+$/, "");
    this.#token = options.token?.trim() || (options.url === undefined ? fromEnv!.token : undefined);
    this.#tokenFile = options.tokenFile ?? (this.#token || options.url !== undefined ? undefined : fromEnv!.tokenFile);
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /** The token; read from the token file on use until it exists (so a client made before the daemon starts works). */
  get token(): string | undefined {
    if (this.#token === undefined && this.#tokenFile) {
      try {
        this.#token = readFileSync(this.#tokenFile, "utf8").trim() || undefined;
      } catch {
        // not there (yet), or not readable by this user: requests go without a token and get a clear 401
      }
    }
    return this.#token;
  }

  /** A signal that fires when {@link close} is called. */
  get closeSignal(): AbortSignal {
    return this.#closer.signal;
  }

  /** Registers a callback run by {@link close}; returns the function that unregisters it. */
  onClose(handler: () => void): () => void {
    this.#closeHandlers.add(handler);
    return () => this.#closeHandlers.delete(handler);
  }

  /** Ends every open event stream (they finish normally) and aborts requests in flight. The connection stays usable. */
  close(): void {
    for (const h of [...this.#closeHandlers]) h();
    this.#closer.abort(new HiveError("The Hive client was closed."));
    this.#closer = new AbortController();
  }

  /** Sends a request; returns the response when it is 2xx, else throws the typed error. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    const token = this.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | Uint8Array | undefined;
    if (options.body && "json" in options.body) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.body.json);
    } else if (options.body) {
      headers["content-type"] = "application/octet-stream";
      body = options.body.raw;
    }
    const signals = [this.#closer.signal];
    if (options.signal) signals.push(options.signal);
    let response: Response;
    try {
      response = await this.#fetch(this.url + path, { method, headers, body, signal: AbortSignal.any(signals) });
    } catch (e) {
      if (options.signal?.aborted) throw options.signal.reason ?? e;
      if (this.closeSignal.aborted || isAbort(e)) throw e;
      throw this.unavailable(e);
    }
    if (response.ok) return response;
    throw await this.#errorFrom(response);
  }

  /** Sends a request and parses its JSON answer. */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(method, path, { ...options, headers: { accept: "application/json", ...options.headers } });
    return this.readJson<T>(response);
  }

  async readJson<T>(response: Response): Promise<T> {
    const text = await response.text();
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new HiveError(
        `The daemon at ${this.url} sent a response this client cannot read (${(e as Error).message}). Is HIVE_URL pointing at a Hive daemon?`,
        { status: response.status, cause: e },
      );
    }
  }

  /** The error for a failed fetch: the daemon is not running there, or the connection broke. */
  unavailable(e: unknown): UnavailableError {
    const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
    const code = cause?.code;
    if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "ETIMEDOUT" || code === "EHOSTUNREACH") {
      const reason = code === "ECONNREFUSED" ? "connection refused" : code === "ENOTFOUND" ? "host not found" : code.toLowerCase();
      return new UnavailableError(
        `The Hive daemon is not running at ${this.url} (${reason}). Start it with \`hive up\`, or set HIVE_URL to where it runs.`,
        { cause: e },
      );
    }
    if (cause?.message === "bad port") {
      return new UnavailableError(`Node's fetch refuses to connect to ${this.url}: its port is on the fetch standard's list of blocked ports; run the daemon on another port.`, { cause: e });
    }
    return new UnavailableError(`Lost the connection to the Hive daemon at ${this.url}: ${cause?.message ?? (e as Error)?.message ?? e}`, { cause: e });
  }

  async #errorFrom(response: Response): Promise<HiveError> {
    let text = "";
    try {
      text = await response.text();
    } catch {
      // the body broke off; the status is still worth reporting
    }
    let problem: ProblemDetails | undefined;
    if (text.trimStart().startsWith("{")) {
      try {
        problem = JSON.parse(text) as ProblemDetails;
      } catch {
        // not JSON after all
      }
    }
    const fallback = !problem && text.length > 0 && text.length < 500 && !text.trimStart().startsWith("<")
      ? text.trim()
      : `The daemon at ${this.url} answered ${response.status} ${response.statusText}.`.replace(/ \.$/, ".");
    const error = HiveError.fromProblem(response.status, problem, fallback);
    if (response.status === 401 && !this.token) {
      return HiveError.fromProblem(401, {
        ...problem,
        detail: `${error.message} No token was found: set HIVE_TOKEN, or run as a user who can read ${this.#tokenFile ?? "$HIVE_HOME/token"}.`,
      });
    }
    return error;
  }
}

export function isAbort(e: unknown): boolean {
  return (e as { name?: string })?.name === "AbortError";
}

/** `/v1/sandboxes/{name}` with the name escaped. */
export function sandboxPath(name: string): string {
  if (typeof name !== "string" || name.trim() === "") throw new TypeError("A sandbox name is required.");
  return `/v1/sandboxes/${encodeURIComponent(name)}`;
}

/** A query string from the defined values, e.g. `?types=egress.*&after=3`. */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== "") parts.push(`${key}=${encodeURIComponent(String(value))}`);
  }
  return parts.length ? `?${parts.join("&")}` : "";
}
