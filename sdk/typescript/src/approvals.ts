import { query, type Connection } from "./client.js";
import { SseParser } from "./events.js";

/** A request (or raw flow) the egress proxy holds for a person, as `GET /v1/approvals` lists it. */
export interface ApprovalInfo {
  /** `apr_` and 16 hex digits. */
  id: string;
  sandbox: string;
  /** `http`, `https` (a request), `tcp` or `tls` (a raw flow). */
  kind: "http" | "https" | "tcp" | "tls";
  host: string;
  port: number;
  /** The HTTP method, or `TCP` / `TLS` for a raw flow. */
  method: string;
  /** The request's normalised path; null for a raw flow. */
  path: string | null;
  /** Index of the ask rule that matched; null when `egressDefault: "ask"` held it. */
  rule: number | null;
  /** Identical requests waiting together share one approval. */
  waiters: number;
  createdAt: string;
  expiresAt: string;
}

export interface ApprovalAnswerOptions {
  /** Also add a rule for the request's host and port to the sandbox's config (so later ones do not ask). */
  sandboxWide?: boolean;
  /** With `sandboxWide`: only these HTTP methods. */
  methods?: string[];
  /** With `sandboxWide`: only these URL path globs, e.g. `/repos/**`. */
  paths?: string[];
}

/** What the daemon answers to a decision. */
export interface ApprovalDecision {
  id: string;
  decision: "allow" | "deny";
  by: string;
  reason: string;
  scope: "once" | "sandbox";
  rule?: Record<string, unknown>;
  ruleIndex?: number;
  waiters: number;
}

/** A held request with its answers: `await a.allow()`, `await a.deny()`. */
export class Approval implements ApprovalInfo {
  readonly #connection: Connection;
  id!: string;
  sandbox!: string;
  kind!: ApprovalInfo["kind"];
  host!: string;
  port!: number;
  method!: string;
  path!: string | null;
  rule!: number | null;
  waiters!: number;
  createdAt!: string;
  expiresAt!: string;

  constructor(connection: Connection, info: ApprovalInfo) {
    this.#connection = connection;
    Object.assign(this, info);
  }

  /** Lets it through: once, or `{ sandboxWide: true }` for this sandbox from now on. */
  allow(options: ApprovalAnswerOptions = {}): Promise<ApprovalDecision> {
    return decide(this.#connection, this.id, "allow", options);
  }

  /** Refuses it (403): once, or `{ sandboxWide: true }` adds a deny rule. */
  deny(options: ApprovalAnswerOptions = {}): Promise<ApprovalDecision> {
    return decide(this.#connection, this.id, "deny", options);
  }
}

/** Answers a held request by id. */
export async function decide(connection: Connection, id: string, decision: "allow" | "deny", options: ApprovalAnswerOptions = {}): Promise<ApprovalDecision> {
  const body: Record<string, unknown> = { decision, scope: options.sandboxWide ? "sandbox" : "once" };
  if (options.methods || options.paths) body.rule = { methods: options.methods, paths: options.paths };
  return connection.json<ApprovalDecision>("POST", `/v1/approvals/${encodeURIComponent(id)}`, { body: { json: body } });
}

export async function listApprovals(connection: Connection, sandbox?: string): Promise<Approval[]> {
  const list = await connection.json<ApprovalInfo[]>("GET", "/v1/approvals" + query({ sandbox, follow: false }));
  return list.map((info) => new Approval(connection, info));
}

/**
 * Held requests as they arrive (those already waiting first) until `signal` aborts or the client closes:
 * `for await (const a of hive.approvals()) await a.allow();`
 */
export async function* followApprovals(connection: Connection, options: { sandbox?: string; signal?: AbortSignal } = {}): AsyncGenerator<Approval> {
  const response = await connection.request("GET", "/v1/approvals" + query({ sandbox: options.sandbox, follow: true }), {
    headers: { accept: "text/event-stream" },
    signal: options.signal,
  });
  if (!response.body) return;
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  try {
    while (true) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (options.signal?.aborted || connection.closeSignal.aborted) return;
        throw e;
      }
      if (chunk.done) return;
      for (const frame of parser.feed(decoder.decode(chunk.value, { stream: true })))
        if (frame.event === "approval") yield new Approval(connection, JSON.parse(frame.data) as ApprovalInfo);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
