import type { HiveEvent } from "./api";

// The timeline's kind filters, each a set of event type prefixes.
export const KINDS: Record<string, string[]> = {
  egress: ["egress."],
  dns: ["dns."],
  files: ["fs."],
  exec: ["exec."],
  llm: ["llm."],
  secrets: ["secret."],
  config: ["config.", "sandbox."],
};

export function kindOf(type: string): string {
  for (const [k, prefixes] of Object.entries(KINDS)) if (prefixes.some((p) => type.startsWith(p))) return k;
  return "other";
}

/** Refused by policy: an access decision of "denied", a misused or revoked secret, a name DNS would not answer. */
export function isDenied(e: HiveEvent): boolean {
  return e.access === "denied" || e.type === "secret.misuse" || e.type === "secret.revoked" || (e.type === "dns.query" && e.answer === "nxdomain");
}

export function isAllowed(e: HiveEvent): boolean {
  return e.access === "allowed" || (e.type === "dns.query" && e.answer === "allowed");
}

const s = (v: unknown) => (v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v));

/** What happened, in one line (like `hive events`). */
export function summary(e: HiveEvent): string {
  switch (e.type) {
    case "egress.request":
      return `${s(e.method)} ${s(e.host)}:${s(e.port)}${s(e.path)}${e.reason ? `  (${s(e.reason)})` : ""}`;
    case "egress.response":
      return `${s(e.status)} in ${s(e.durationMs)} ms, ${s(e.bytesIn)} B in, ${s(e.bytesOut)} B out${e.error ? `  ${s(e.error)}` : ""}`;
    case "dns.query":
      return `${s(e.name)} ${s(e.qtype)} → ${s(e.answer)}${e.address ? ` ${s(e.address)}` : ""}`;
    case "fs.request":
      return `${s(e.op)} ${s(e.path)}${e.detail ? `  ${s(e.detail)}` : ""}`;
    case "fs.response":
      return `${e.error ? s(e.error) : "ok"} in ${s(e.durationMs)} ms${e.bytes !== undefined && e.bytes !== null ? `, ${s(e.bytes)} B` : ""}`;
    case "exec.request":
      return Array.isArray(e.command) ? e.command.join(" ") : s(e.command);
    case "exec.response":
      return `exit ${s(e.exitCode)} in ${s(e.durationMs)} ms`;
    case "llm.call":
      return `${s(e.provider)} ${s(e.model)}  ${s(e.inputTokens)} in / ${s(e.outputTokens)} out tokens  ${s(e.durationMs)} ms  status ${s(e.status)}`;
    default: {
      const rest = Object.entries(e).filter(([k]) => !["id", "ts", "sandbox", "type"].includes(k));
      return rest.map(([k, v]) => `${k}=${s(v)}`).join(" ");
    }
  }
}
