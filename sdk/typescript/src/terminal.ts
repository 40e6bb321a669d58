// An interactive terminal in a sandbox over the daemon's terminal WebSocket (docs/api.md, "Interactive terminal").
// Node 20 has no WebSocket client built in and the SDK has no dependencies: this is just enough of RFC 6455 for one
// client connection (masked frames out; text, binary, close and ping in).
import { randomBytes, createHash } from "node:crypto";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Duplex } from "node:stream";
import { HiveError, UnavailableError, type ProblemDetails } from "./errors.js";

export interface TerminalOptions {
  /** The command (a string runs under `/bin/sh -c`); default: the login shell (bash when the image has it, else sh). */
  command?: string | string[];
  cwd?: string;
  env?: Record<string, string>;
  rows?: number;
  cols?: number;
  /** Called with each chunk of the terminal's output, as it comes. */
  onData?: (data: Uint8Array) => void;
}

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** A running terminal: `write` keys, `resize`, and `exited` (the exit status). `close()` kills what still runs. */
export class Terminal {
  /** The command's exit status; rejects with a {@link HiveError} when the daemon refused the start or lost it. */
  readonly exited: Promise<number>;
  #socket: Duplex;
  #buffer: Buffer = Buffer.alloc(0);
  #fragments: Buffer[] = [];
  #fragmentType = 0;
  #resolve!: (code: number) => void;
  #reject!: (e: Error) => void;
  #done = false;
  readonly #chunks: Uint8Array[] = [];
  readonly #onData?: (data: Uint8Array) => void;

  private constructor(socket: Duplex, head: Buffer, onData?: (data: Uint8Array) => void) {
    this.#socket = socket;
    this.#onData = onData;
    this.exited = new Promise<number>((ok, fail) => { this.#resolve = ok; this.#reject = fail; });
    this.exited.catch(() => {}); // observed through `exited` by whoever awaits it
    socket.on("data", (d: Buffer) => this.#receive(d));
    socket.on("close", () => this.#fail(new UnavailableError("The daemon closed the terminal before the command's exit status.")));
    socket.on("error", (e) => this.#fail(new UnavailableError(`Lost the terminal's connection: ${e.message}`, { cause: e })));
    if (head.length) this.#receive(head);
  }

  /** Opens the WebSocket and sends the start message. */
  static async open(baseUrl: string, path: string, token: string | undefined, options: TerminalOptions): Promise<Terminal> {
    const url = new URL(baseUrl + path);
    const key = randomBytes(16).toString("base64");
    const headers: Record<string, string> = {
      connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": key,
    };
    if (token) headers.authorization = `Bearer ${token}`;
    const request = (url.protocol === "https:" ? httpsRequest : httpRequest)(url, { method: "GET", headers });
    const { socket, head } = await new Promise<{ socket: Duplex; head: Buffer }>((ok, fail) => {
      request.on("upgrade", (response: IncomingMessage, socket: Duplex, head: Buffer) => {
        const accept = createHash("sha1").update(key + GUID).digest("base64");
        if (response.headers["sec-websocket-accept"] !== accept) {
          socket.destroy();
          fail(new HiveError("The daemon's WebSocket handshake is not valid (sec-websocket-accept)."));
        } else ok({ socket, head });
      });
      request.on("response", (response: IncomingMessage) => {
        const parts: Buffer[] = [];
        response.on("data", (c: Buffer) => parts.push(c));
        response.on("end", () => {
          let problem: ProblemDetails | undefined;
          try { problem = JSON.parse(Buffer.concat(parts).toString("utf8")); } catch { /* not problem+json */ }
          fail(HiveError.fromProblem(response.statusCode ?? 0, problem));
        });
      });
      request.on("error", (e) => fail(new UnavailableError(`The Hive daemon cannot be reached at ${baseUrl}: ${e.message}`, { cause: e })));
      request.end();
    });
    const terminal = new Terminal(socket, head, options.onData);
    const start: Record<string, unknown> = { rows: options.rows ?? 24, cols: options.cols ?? 80 };
    if (options.command !== undefined) start.command = options.command;
    if (options.cwd !== undefined) start.cwd = options.cwd;
    if (options.env !== undefined) start.env = options.env;
    terminal.#send(1, Buffer.from(JSON.stringify(start)));
    return terminal;
  }

  /** Sends keystrokes as typed ("\x03" is Ctrl-C, "\x04" Ctrl-D at the start of a line). */
  write(keys: string | Uint8Array): void {
    this.#send(2, typeof keys === "string" ? Buffer.from(keys, "utf8") : Buffer.from(keys));
  }

  /** A new window size: the command gets SIGWINCH. */
  resize(rows: number, cols: number): void {
    this.#send(1, Buffer.from(JSON.stringify({ type: "resize", rows, cols })));
  }

  /** All output so far, as text. */
  get output(): string {
    return Buffer.concat(this.#chunks).toString("utf8");
  }

  /** Closes the terminal; a command still running is killed with its whole session. */
  close(): void {
    if (!this.#socket.destroyed) {
      this.#send(8, Buffer.from([0x03, 0xe8]));
      this.#socket.end();
    }
    this.#fail(new HiveError("The terminal was closed before the command exited."));
  }

  #send(opcode: number, payload: Buffer): void {
    if (this.#socket.destroyed || this.#socket.writableEnded) throw new UnavailableError("The terminal's connection is closed.");
    const mask = randomBytes(4);
    const length = payload.length;
    const head = length < 126 ? Buffer.alloc(2) : length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    head[0] = 0x80 | opcode;
    if (length < 126) head[1] = 0x80 | length;
    else if (length < 65536) { head[1] = 0x80 | 126; head.writeUInt16BE(length, 2); }
    else { head[1] = 0x80 | 127; head.writeBigUInt64BE(BigInt(length), 2); }
    const masked = Buffer.alloc(length);
    for (let i = 0; i < length; i++) masked[i] = payload[i] ^ mask[i & 3];
    this.#socket.write(Buffer.concat([head, mask, masked]));
  }

  #receive(data: Buffer): void {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, data]) : Buffer.from(data);
    while (this.#buffer.length >= 2) {
      const b = this.#buffer;
      const fin = (b[0] & 0x80) !== 0;
      const opcode = b[0] & 0x0f;
      let length = b[1] & 0x7f;
      let at = 2;
      if (length === 126) { if (b.length < 4) return; length = b.readUInt16BE(2); at = 4; }
      else if (length === 127) { if (b.length < 10) return; length = Number(b.readBigUInt64BE(2)); at = 10; }
      if (b.length < at + length) return; // the server does not mask its frames
      const payload = b.subarray(at, at + length);
      this.#buffer = b.subarray(at + length);
      if (opcode === 9) { this.#send(10, Buffer.from(payload)); continue; }
      if (opcode === 8) { this.#socket.end(); this.#fail(new UnavailableError("The daemon closed the terminal before the command's exit status.")); continue; }
      if (opcode === 10) continue;
      if (opcode !== 0) this.#fragmentType = opcode;
      this.#fragments.push(Buffer.from(payload));
      if (!fin) continue;
      const message = Buffer.concat(this.#fragments);
      this.#fragments = [];
      if (this.#fragmentType === 2) {
        this.#chunks.push(message);
        this.#onData?.(message);
      } else this.#control(message.toString("utf8"));
    }
  }

  #control(text: string): void {
    const message = JSON.parse(text) as { type?: string; exitCode?: number } & ProblemDetails;
    if (message.type === "exit") {
      this.#done = true;
      this.#resolve(message.exitCode ?? 0);
    } else if (message.type === "error") {
      const { type: _, ...problem } = message;
      this.#fail(HiveError.fromProblem(message.status ?? 500, problem as ProblemDetails));
    }
  }

  #fail(e: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#reject(e);
  }
}
