import type { HiveEvent } from "./api";

// The "changed in this sandbox" view: fs.request events of allowed changes, grouped by path.

export type ChangeKind = "written" | "created" | "deleted" | "renamed" | "attributes";

export interface Change {
  path: string;
  counts: Partial<Record<ChangeKind, number>>;
  total: number;
  last: string;
  lastKind: ChangeKind;
  /** The other end of the last rename (where it went, or where it came from). */
  renamed?: string;
  /** After its last change nothing is at this path any more: deleted, or renamed away. */
  gone: boolean;
  via?: string;
}

const KIND: Record<string, ChangeKind> = {
  create: "created", mkdir: "created", mknod: "created", symlink: "created", link: "created",
  unlink: "deleted", rmdir: "deleted", rename: "renamed", setattr: "attributes",
};

/**
 * What a change event did. A file the agent writes shows as its open for writing: the summed `write` that follows at close
 * is absent when the kernel wrote directly (passthrough), so it is not counted again; the files API's writes are.
 */
function kindOf(e: HiveEvent): ChangeKind | undefined {
  if (e.op === "open") return /^(w|rw)(,|$)/.test(String(e.detail ?? "")) ? "written" : undefined;
  if (e.op === "write") return e.via === "api" ? "written" : undefined;
  return KIND[String(e.op)];
}

/** Adds one event to the changes by path; returns the paths it touched (none for reads, denials and other events). */
export function addChange(changes: Map<string, Change>, e: HiveEvent): string[] {
  if (e.type !== "fs.request" || e.access !== "allowed") return [];
  const kind = kindOf(e);
  const path = typeof e.path === "string" ? e.path : undefined;
  if (!kind || !path) return [];
  const touch = (p: string, renamed?: string, away = false) => {
    let c = changes.get(p);
    if (!c) changes.set(p, (c = { path: p, counts: {}, total: 0, last: e.ts, lastKind: kind, gone: false }));
    c.gone = kind === "deleted" || away;
    c.counts[kind] = (c.counts[kind] ?? 0) + 1;
    c.total++;
    c.last = e.ts;
    c.lastKind = kind;
    if (renamed) c.renamed = renamed;
    if (typeof e.via === "string") c.via = e.via;
  };
  // A rename's detail is its target: both paths changed.
  const target = kind === "renamed" && typeof e.detail === "string" && e.detail.startsWith("/") ? e.detail : undefined;
  touch(path, target, target !== undefined);
  if (target) {
    touch(target, path);
    return [path, target];
  }
  return [path];
}
