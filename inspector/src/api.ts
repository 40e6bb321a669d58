// The daemon's API as the Inspector uses it: same origin, the session cookie, and the CSRF token on every mutating call.
export interface Problem { status: number; title: string; detail: string; errors?: { path: string; message: string }[] }

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
  }
}

export interface HiveEvent {
  id: number;
  ts: string;
  sandbox: string;
  type: string;
  [field: string]: unknown;
}

export interface SandboxInfo {
  name: string;
  status: string;
  image: string;
  config: Record<string, unknown>;
  url: string;
  createdAt: string;
  error?: string;
}

let csrf: string | undefined;
/** The session's CSRF token (the terminal's WebSocket sends it in its URL). */
export const csrfToken = () => csrf;

export async function session(): Promise<void> {
  const r = await fetch("/v1/session", { credentials: "same-origin" });
  if (r.status === 401) {
    location.href = "/login";
    throw new Error("not logged in");
  }
  const body = await r.json();
  csrf = body.csrfToken;
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (method !== "GET" && method !== "HEAD" && csrf) headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  if (r.status === 401) {
    location.href = "/login";
    throw new ApiError({ status: 401, title: "Unauthorized", detail: "logged out" });
  }
  const text = await r.text();
  if (!r.ok) {
    let problem: Problem;
    try {
      problem = JSON.parse(text);
    } catch {
      problem = { status: r.status, title: r.statusText, detail: text };
    }
    throw new ApiError(problem);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

export const sandboxPath = (name: string) => `/v1/sandboxes/${encodeURIComponent(name)}`;

export type ConnState = "live" | "down";
const connListeners = new Set<(s: ConnState) => void>();
export const onConn = (f: (s: ConnState) => void) => connListeners.add(f);

/**
 * Follows an SSE event stream from `after` (exclusive). After a dropped connection or a daemon restart it reconnects
 * from the last id it saw, so nothing is lost or repeated; a session that ended sends the browser to the login page.
 */
export function follow(path: string, after: number, onEvent: (e: HiveEvent) => void, types?: string): () => void {
  let last = after;
  let source: EventSource | undefined;
  let retry: number | undefined;
  let closed = false;
  const handler = (m: MessageEvent) => {
    const e = JSON.parse(m.data) as HiveEvent;
    if (e.id <= last) return;
    last = e.id;
    onEvent(e);
  };
  const open = () => {
    const q = new URLSearchParams({ after: String(last) });
    if (types) q.set("types", types);
    const s = (source = new EventSource(`${path}?${q}`));
    s.onopen = () => connListeners.forEach((f) => f("live"));
    s.onerror = () => {
      connListeners.forEach((f) => f("down"));
      // EventSource would resume with Last-Event-ID, but the query's `after` wins on the daemon: reopen from `last`.
      s.close();
      if (closed) return;
      retry = window.setTimeout(async () => {
        const r = await fetch("/v1/session").catch(() => undefined);
        if (r?.status === 401) location.href = "/login";
        else if (!closed) open();
      }, 1000);
    };
    // Every event type arrives as a named SSE event; one listener per type the log knows, plus "message".
    for (const t of EVENT_TYPES) s.addEventListener(t, handler as EventListener);
    s.onmessage = handler;
  };
  open();
  return () => {
    closed = true;
    clearTimeout(retry);
    source?.close();
  };
}

export const EVENT_TYPES = [
  "sandbox.created", "sandbox.started", "sandbox.stopped", "sandbox.expired", "sandbox.destroyed", "sandbox.lost", "config.apply",
  "exec.request", "exec.response", "egress.request", "egress.response", "dns.query", "fs.request", "fs.response",
  "llm.call", "secret.used", "secret.misuse", "secret.revoked",
];

/**
 * Reads the stored events of `path` page by page (`onStored`, in id order), then follows live ones from the last id
 * seen (`onEvent`). With `onNewest`, the newest page comes first, so that a long log shows its end at once. Returns the function that stops it; a failed load goes to `onError`.
 */
export function loadThenFollow(path: string, o: {
  types?: string;
  pageSize: number;
  /** When given, the newest `newestSize` events are read first and shown through it, before the pages in id order. */
  onNewest?: (batch: HiveEvent[]) => void;
  newestSize?: number;
  onStored: (batch: HiveEvent[]) => void;
  onLoaded?: () => void;
  onEvent: (e: HiveEvent) => void;
  onError: (e: Error) => void;
}): () => void {
  let stop: (() => void) | undefined;
  let closed = false;
  (async () => {
    let after = 0;
    if (o.onNewest) {
      const size = o.newestSize ?? o.pageSize;
      const q = new URLSearchParams({ follow: "false", before: "latest", limit: String(size) });
      if (o.types) q.set("types", o.types);
      const newest = await api<HiveEvent[]>("GET", `${path}?${q}`);
      if (closed) return;
      o.onNewest(newest);
      if (newest.length < size) {
        // That was all of it: straight to following.
        o.onLoaded?.();
        stop = follow(path, newest.length ? newest[newest.length - 1].id : 0, o.onEvent, o.types);
        return;
      }
    }
    for (;;) {
      const batch = await page(path, after, o.pageSize, o.types);
      if (closed) return;
      o.onStored(batch);
      if (batch.length) after = batch[batch.length - 1].id;
      if (batch.length < o.pageSize) break;
    }
    o.onLoaded?.();
    stop = follow(path, after, o.onEvent, o.types);
  })().catch((e) => o.onError(e as Error));
  return () => {
    closed = true;
    stop?.();
  };
}

/** One JSON page of stored events after `after`. */
export function page(path: string, after: number, limit: number, types?: string): Promise<HiveEvent[]> {
  const q = new URLSearchParams({ follow: "false", after: String(after), limit: String(limit) });
  if (types) q.set("types", types);
  return api<HiveEvent[]>("GET", `${path}?${q}`);
}
