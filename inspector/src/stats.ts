import { follow, type HiveEvent } from "./api";
import { costOf } from "./cost";
import { isDenied } from "./kinds";

/** What the sandboxes page shows per sandbox, counted from its events. */
export interface SandboxStats {
  allowed: number;
  denied: number;
  filesWritten: number;
  commands: number;
  inputTokens: number;
  outputTokens: number;
  cost: number;
  costKnown: boolean;
  lastActivity?: string;
}

const WRITE_OPS = new Set(["write", "create", "mkdir", "unlink", "rmdir", "rename", "link", "symlink", "setattr", "mknod"]);
const TYPES = "egress.request,fs.request,exec.request,llm.call,dns.query,sandbox.*,config.apply,secret.*";

export function emptyStats(): SandboxStats {
  return { allowed: 0, denied: 0, filesWritten: 0, commands: 0, inputTokens: 0, outputTokens: 0, cost: 0, costKnown: false };
}

export function count(s: SandboxStats, e: HiveEvent): void {
  s.lastActivity = e.ts;
  if (e.type === "egress.request") {
    if (e.access === "denied") s.denied++;
    else s.allowed++;
  } else if (isDenied(e)) s.denied++;
  else if (e.type === "fs.request" && e.access === "allowed" && WRITE_OPS.has(String(e.op))) s.filesWritten++;
  else if (e.type === "exec.request") s.commands++;
  else if (e.type === "llm.call") {
    const i = typeof e.inputTokens === "number" ? e.inputTokens : 0;
    const o = typeof e.outputTokens === "number" ? e.outputTokens : 0;
    s.inputTokens += i;
    s.outputTokens += o;
    const c = costOf(e.provider as string, e.model as string, e.inputTokens, e.outputTokens);
    if (c !== null) {
      s.cost += c;
      s.costKnown = true;
    }
  }
}

/**
 * Counts every sandbox's events from the start of the log, then live; listeners get what arrived, once a frame. The
 * stream is open only while a page needs it (a browser allows 6 connections per host across its tabs); started again,
 * it resumes from the last event it counted.
 */
export class StatsStore {
  readonly bySandbox = new Map<string, SandboxStats>();
  private listeners = new Set<(batch: HiveEvent[]) => void>();
  private stopStream?: () => void;
  private last = 0;
  private pending: HiveEvent[] = [];
  private scheduled = false;

  start(): void {
    if (this.stopStream) return;
    this.stopStream = follow("/v1/events", this.last, (e) => {
      this.last = e.id;
      let s = this.bySandbox.get(e.sandbox);
      if (!s) this.bySandbox.set(e.sandbox, (s = emptyStats()));
      count(s, e);
      this.pending.push(e);
      if (!this.scheduled) {
        this.scheduled = true;
        requestAnimationFrame(() => {
          this.scheduled = false;
          const batch = this.pending;
          this.pending = [];
          for (const f of this.listeners) f(batch);
        });
      }
    }, TYPES);
  }

  stop(): void {
    this.stopStream?.();
    this.stopStream = undefined;
  }

  on(f: (batch: HiveEvent[]) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }
}

export const stats = new StatsStore();
