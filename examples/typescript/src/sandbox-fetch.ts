// A `fetch` that sends each request from inside a Hive sandbox, so that it passes the sandbox's egress proxy.
//
// The agent runs outside the sandbox, but its model calls must not: inside, the proxy checks them against the
// sandbox's egress rules, swaps the secret's stand-in for the real key on the way to the provider's host, and
// records an `llm.call` event. Each request is run by `curl` in the sandbox through a streaming exec; the
// response's headers come first, then its body as the sandbox receives it. Text bodies only (JSON, server-sent
// events): exec output travels as text.
import type { Sandbox } from "hive";

// Headers curl sets itself, or that would ask for a body we cannot carry as text.
const SKIPPED_REQUEST = new Set(["host", "content-length", "connection", "accept-encoding", "transfer-encoding", "expect"]);
const SKIPPED_RESPONSE = new Set(["content-length", "transfer-encoding", "content-encoding", "connection"]);

export function sandboxFetch(sandbox: Sandbox): typeof fetch {
  return async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    const method = init.method ?? (input instanceof Request ? input.method : "GET");
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    const body = init.body == null ? undefined : typeof init.body === "string" ? init.body : await new Response(init.body).text();

    const argv = ["curl", "-sS", "--no-buffer", "--http1.1", "-X", method, "-D", "-", "-H", "Expect:"];
    headers.forEach((value, name) => {
      if (!SKIPPED_REQUEST.has(name)) argv.push("-H", `${name}: ${value}`);
    });
    if (body !== undefined) argv.push("--data-binary", "@-");
    argv.push(url);

    const encoder = new TextEncoder();
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>({ start: (c) => { controller = c; } });
    let pending = "";
    let stderr = "";
    let answered = false;

    return new Promise<Response>((resolve, reject) => {
      const onStdout = (data: string) => {
        if (answered) {
          controller.enqueue(encoder.encode(data));
          return;
        }
        pending += data;
        for (let end = pending.indexOf("\r\n\r\n"); end >= 0; end = pending.indexOf("\r\n\r\n")) {
          const head = parseHead(pending.slice(0, end));
          pending = pending.slice(end + 4);
          if (head.status === 100) continue; // an interim response: the real one follows
          answered = true;
          resolve(new Response(stream, head));
          if (pending) controller.enqueue(encoder.encode(pending));
          return;
        }
      };
      sandbox
        .exec(argv, { stdin: body, timeoutMs: 600_000, signal: init.signal ?? undefined, onStdout, onStderr: (d) => { stderr += d; } })
        .then((result) => {
          if (answered) controller.close();
          else reject(new TypeError(`curl in sandbox '${sandbox.name}' got no response from ${url} (exit ${result.exitCode}): ${stderr.trim()}`));
        })
        .catch((error: unknown) => {
          if (answered) controller.error(error);
          else reject(error);
        });
    });
  };
}

function parseHead(head: string): { status: number; statusText: string; headers: Headers } {
  const [statusLine, ...lines] = head.split("\r\n");
  const [, code, ...reason] = statusLine.split(" ");
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    if (colon > 0 && !SKIPPED_RESPONSE.has(name)) headers.append(name, line.slice(colon + 1).trim());
  }
  return { status: Number(code), statusText: reason.join(" "), headers };
}
