// A local fake of the daemon's HTTP API, for client-shape tests (what the SDK sends, how it maps answers).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export type Handler = (req: Recorded, res: ServerResponse) => void | Promise<void>;

export interface FakeServer {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

export async function startFake(handler: Handler): Promise<FakeServer> {
  const requests: Recorded[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const recorded: Recorded = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
    requests.push(recorded);
    try {
      await handler(recorded, res);
    } catch (e) {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(e));
    }
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown, type = "application/json"): void {
  res.writeHead(status, { "content-type": type });
  res.end(JSON.stringify(body));
}

export function problem(res: ServerResponse, status: number, title: string, detail: string, errors?: { path: string; message: string }[]): void {
  json(res, status, { type: `https://hive.dev/problems/${status}`, title, status, detail, ...(errors ? { errors } : {}) }, "application/problem+json");
}

/** A sandbox as the daemon describes it. */
export function sandboxInfo(base: string, name: string): unknown {
  return {
    name,
    status: "running",
    image: "hive/base",
    config: {
      image: "hive/base", env: {}, secrets: {},
      fs: [{ backend: "local", mount: "/workspace", volume: `${name}-workspace`, acls: [{ path: "/workspace/**", access: "rw" }] }],
      egress: [], ttl: 0, resources: { cpus: 1, memoryMb: 1024, pids: 512 },
    },
    url: `${base}/sandboxes/${name}/`,
    createdAt: "2026-01-01T00:00:00.000+00:00",
  };
}

export function sseEvent(res: ServerResponse, event: { id: number; type: string; [k: string]: unknown }): void {
  res.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
}
