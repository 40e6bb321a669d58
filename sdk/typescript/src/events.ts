import { setTimeout as sleep } from "node:timers/promises";
import { query, type Connection } from "./client.js";
import { HiveError, UnavailableError } from "./errors.js";
import type { EventStreamOptions, HiveEvent } from "./types.js";

/** One dispatched server-sent event. */
export interface SseFrame {
  event: string;
  data: string;
  /** The last event ID seen so far in the stream (SSE semantics), if any. */
  id?: string;
}

/**
 * An incremental `text/event-stream` parser per the HTML standard: `field: value` lines (one leading space
 * dropped), `data` lines joined with `\n`, `:` comments ignored, a blank line dispatches; CR, LF and CRLF line
 * ends, also when a CRLF is split across two chunks.
 */
export class SseParser {
  #buffer = "";
  #skipLf = false;
  #event = "";
  #data: string[] = [];
  /** The SSE "last event ID" buffer. */
  lastEventId?: string;
  /** The reconnection time the server asked for, in ms. */
  retry?: number;

  /** Consumes decoded text; returns the frames it completed. */
  feed(text: string): SseFrame[] {
    const frames: SseFrame[] = [];
    let buffer = this.#buffer + text;
    let start = 0;
    if (this.#skipLf && buffer.startsWith("\n")) start = 1;
    this.#skipLf = false;
    for (let i = start; i < buffer.length; i++) {
      const ch = buffer.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      const line = buffer.slice(start, i);
      if (ch === 13) {
        if (i + 1 < buffer.length) {
          if (buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          this.#skipLf = true;
        }
      }
      start = i + 1;
      const frame = this.#line(line);
      if (frame) frames.push(frame);
    }
    this.#buffer = buffer.slice(start);
    return frames;
  }

  #line(line: string): SseFrame | undefined {
    if (line === "") {
      if (this.#data.length === 0) {
        this.#event = "";
        return undefined;
      }
      const frame: SseFrame = { event: this.#event || "message", data: this.#data.join("\n"), id: this.lastEventId };
      this.#event = "";
      this.#data = [];
      return frame;
    }
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event": this.#event = value; break;
      case "data": this.#data.push(value); break;
      case "id": if (!value.includes("\0")) this.lastEventId = value; break;
      case "retry": if (/^\d+$/.test(value)) this.retry = Number(value); break;
    }
    return undefined;
  }
}

/** The frames of an SSE body. `onBytes` is called whenever bytes arrive (for idle detection). */
export async function* readSse(body: ReadableStream<Uint8Array>, onBytes?: () => void): AsyncGenerator<SseFrame> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      onBytes?.();
      yield* parser.feed(decoder.decode(value, { stream: true }));
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** Tuning of reconnection; exported for tests. */
export const streamTiming = {
  /** First wait before reconnecting; doubles while the daemon stays unreachable. */
  reconnectMs: 200,
  maxReconnectMs: 5000,
  /** No bytes for this long (the daemon sends a keep-alive every 15 s): the connection is dead; reconnect. */
  idleMs: 45_000,
};

/**
 * A live, resumable stream of events: `for await (const e of stream)`. The first connection must succeed (a
 * missing daemon or a bad token is reported at once). After that, a dropped connection, a restarted daemon or a
 * 502/503/504 is retried with backoff, resuming after the last id yielded (`Last-Event-ID` and `?after=`); ids at
 * or below it are dropped, so no event is yielded twice and none is skipped.
 *
 * `close()` (or the client's `close()`, or `break` in the loop) ends it normally; the `signal` option ends it
 * with an AbortError.
 */
export class EventStream implements AsyncIterableIterator<HiveEvent> {
  /** Id of the last event yielded (or the `after` it started from). */
  lastEventId?: number;
  readonly #stop = new AbortController();
  readonly #events: AsyncGenerator<HiveEvent, void, undefined>;

  constructor(connection: Connection, path: string, options: EventStreamOptions = {}) {
    this.lastEventId = options.after;
    this.#events = this.#run(connection, path, options);
  }

  next(): Promise<IteratorResult<HiveEvent, void>> {
    return this.#events.next();
  }

  return(): Promise<IteratorResult<HiveEvent, void>> {
    this.close();
    return this.#events.return(undefined);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the stream: a pending `next()` resolves as done. */
  close(): void {
    this.#stop.abort();
  }

  async *#run(connection: Connection, path: string, options: EventStreamOptions): AsyncGenerator<HiveEvent, void, undefined> {
    const stop = this.#stop.signal;
    const user = options.signal;
    const unregister = connection.onClose(() => this.close());
    const types = Array.isArray(options.types) ? options.types.join(",") : options.types;
    let delay = streamTiming.reconnectMs;
    let connected = false;
    try {
      while (!stop.aborted) {
        user?.throwIfAborted();
        const attempt = new AbortController();
        const signal = AbortSignal.any(user ? [stop, attempt.signal, user] : [stop, attempt.signal]);
        const after = this.lastEventId;
        let response: Response | undefined;
        try {
          response = await connection.request("GET", path + query({ types, after }), {
            headers: after === undefined ? { accept: "text/event-stream" } : { accept: "text/event-stream", "last-event-id": String(after) },
            signal,
          });
        } catch (e) {
          if (stop.aborted) return;
          if (user?.aborted) throw user.reason;
          if (!connected || !(e instanceof UnavailableError)) throw e;
        }

        if (response) {
          connected = true;
          delay = streamTiming.reconnectMs;
          let idle: ReturnType<typeof setTimeout> | undefined;
          const arm = () => {
            clearTimeout(idle);
            idle = setTimeout(() => attempt.abort(), streamTiming.idleMs);
            idle.unref?.();
          };
          try {
            arm();
            for await (const frame of readSse(response.body!, arm)) {
              if (frame.data === "") continue;
              let event: HiveEvent;
              try {
                event = JSON.parse(frame.data) as HiveEvent;
              } catch {
                throw new HiveError(`The daemon sent an event that is not JSON: ${frame.data.slice(0, 200)}`);
              }
              const id = typeof event.id === "number" ? event.id : Number(frame.id);
              if (this.lastEventId !== undefined && id <= this.lastEventId) continue;
              this.lastEventId = id;
              yield event;
            }
          } catch (e) {
            if (e instanceof HiveError) throw e;
            if (stop.aborted) return;
            if (user?.aborted) throw user.reason;
            // the connection broke or went idle: reconnect below
          } finally {
            clearTimeout(idle);
            attempt.abort();
          }
        }

        try {
          await sleep(delay, undefined, { signal: user ? AbortSignal.any([stop, user]) : stop });
        } catch {
          if (stop.aborted) return;
          throw user?.reason;
        }
        if (!response) delay = Math.min(delay * 2, streamTiming.maxReconnectMs);
      }
    } finally {
      unregister();
    }
  }
}
