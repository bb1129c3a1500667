// The gateway's client for the web app's internal SIP API (docs/sip-integration.md, "Gateway → web"),
// signing every request with the shared GATEWAY_SECRET (lib/common/signing.ts, same scheme both ways).
// Paths, bodies and the schemas answers are read with are the contract in lib/contracts/sip_api.ts
// (docs/internal-api.md); error answers are problem details (lib/contracts/problem.ts).
//
// Over plain http (the web app on loopback or a private network) requests go out on kept-alive
// HTTP/1.1 connections of our own (Http1Pool below) instead of fetch: `resolve` is on the path of
// every dial-in, before our 200 OK, and fetch costs ~0.45 ms more per loopback round trip (Request,
// Headers and body streams per call; 0.97 vs 0.52 ms median against Deno.serve here), and puts its
// request on the wire only when the event loop next turns, so work done meanwhile delays it. No
// HTTP client package is installed (undici would run on node:net's emulation). https (a proxy in
// between) and an injected `fetch` keep using fetch.

import { signedHeaders } from "../lib/common/signing.ts";
import type { z } from "zod";
import { fieldErrors, PeerError, PeerUnavailable, type ProblemDetails, readProblem } from "../lib/contracts/problem.ts";
import {
  callAnswer,
  type CallBody,
  type CallStateBody,
  type DialOutProgress,
  RESOLVE_REFUSALS,
  resolveAnswer,
  type ResolveBody,
  resolveRefusal,
  type ResolveRefusalCode,
  sipPaths as paths,
} from "../lib/contracts/sip_api.ts";

/** The web app could not be reached (down, refusing connections, or too slow). */
export class WebUnavailable extends PeerUnavailable {}

/** The web app answered with a status we did not expect, or a body outside the contract. */
export class WebError extends PeerError {
  constructor(status: number, problem: ProblemDetails) {
    super("web app", status, problem);
  }
}

export type ResolveResult =
  | {
    ok: true;
    meetingId: string;
    title: string;
    passcodeRequired: boolean;
    /** The meeting's language (lib/i18n/locales.ts), when the web app names one. */
    locale: string | null;
  }
  | {
    ok: false;
    /** 404, 403, 486, 410 or 429 (anything else throws WebError). */
    status: number;
    /** The refusal's `code` (lib/contracts/sip_api.ts RESOLVE_REFUSALS). */
    error: ResolveRefusalCode;
    passcodeRequired: boolean;
    /** rate-limited / slow-down: when the web app would look at a try from this source again. */
    retryAfterMs: number | null;
    /** The meeting's language, when the meeting was found and the web app names one. */
    locale: string | null;
  };

export type DialOutStatus = DialOutProgress;

export interface WebClient {
  /**
   * May this caller enter `meetingId` (with `passcode`, or none)? `source` is the IP the caller's
   * SIP packets came from (the socket's, never a header's): wrong passcodes are counted per source.
   */
  resolve(meetingId: string, passcode: string | null, source: string): Promise<ResolveResult>;
  /** The caller becomes a `phone` participant; `waiting` when the lobby applies. */
  createCall(body: CallBody): Promise<{ participantId: string; state: "admitted" | "waiting" }>;
  callState(callId: string, state: CallStateBody): Promise<void>;
  /** The call ended; the participant leaves. A 404 (already gone) is not an error. */
  callEnded(callId: string, reason: string): Promise<void>;
  progress(callId: string, status: DialOutStatus, reason?: string): Promise<void>;
}

/** A WebClient that owns connections: close() ends them (gateway shutdown). */
export interface ClosableWebClient extends WebClient {
  close(): void;
}

export interface WebClientOptions {
  /** e.g. http://127.0.0.1:8000 */
  url: string;
  secret: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const REFUSAL_STATUSES = new Set<number>(Object.values(RESOLVE_REFUSALS));

export function createWebClient(options: WebClientOptions): ClosableWebClient {
  const base = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const baseUrl = new URL(base);
  const http1 = !options.fetch && baseUrl.protocol === "http:" && baseUrl.pathname === "/" && !baseUrl.search
    ? new Http1Pool(baseUrl.hostname.replace(/^\[|\]$/g, ""), Number(baseUrl.port || 80), baseUrl.host)
    : null;

  async function send(method: string, path: string, headers: Record<string, string>, text: string) {
    if (http1) return await http1.request(method, path, headers, text, timeoutMs);
    const res = await doFetch(`${base}${path}`, {
      method,
      headers,
      body: text || undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, body: await res.text() };
  }

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const text = body === undefined ? "" : JSON.stringify(body);
    const headers: Record<string, string> = signedHeaders(options.secret, method, path, text);
    if (text) headers["content-type"] = "application/json";
    let raw: string;
    let status: number;
    try {
      ({ status, body: raw } = await send(method, path, headers, text));
    } catch (err) {
      throw new WebUnavailable(`web app at ${base} is unreachable: ${(err as Error).message}`, { cause: err });
    }
    let json: unknown = null;
    try {
      json = raw ? JSON.parse(raw) : null;
    } catch {
      // Not JSON (a proxy's error page): keep the status.
    }
    return { status, json };
  }

  /** A body outside the contract: the status, and which fields broke it. */
  const unexpected = (method: string, path: string, status: number, error: z.ZodError) =>
    new WebError(status, {
      type: "about:blank",
      title: "Unexpected answer",
      status,
      detail: `${method} ${path} answered a body outside the contract`,
      errors: fieldErrors(error),
    });

  return {
    close() {
      http1?.close();
    },
    async resolve(meetingId, passcode, source) {
      const body: ResolveBody = { meetingId, passcode, source };
      const path = paths.resolve();
      const { status, json } = await call("POST", path, body);
      if (status === 200) {
        const ok = resolveAnswer.safeParse(json);
        if (!ok.success) throw unexpected("POST", path, status, ok.error);
        return { ok: true, ...ok.data, locale: ok.data.locale ?? null };
      }
      if (REFUSAL_STATUSES.has(status)) {
        const no = resolveRefusal.safeParse(json);
        if (no.success) {
          return {
            ok: false,
            status,
            error: no.data.code,
            passcodeRequired: no.data.passcodeRequired === true,
            retryAfterMs: no.data.retryAfterMs ?? null,
            locale: no.data.locale ?? null,
          };
        }
      }
      throw new WebError(status, readProblem(status, json));
    },
    async createCall(body) {
      const path = paths.calls();
      const { status, json } = await call("POST", path, body);
      if (status !== 201 && status !== 200) throw new WebError(status, readProblem(status, json));
      const ok = callAnswer.safeParse(json);
      if (!ok.success) throw unexpected("POST", path, status, ok.error);
      return ok.data;
    },
    async callState(callId, state) {
      const { status, json } = await call("POST", paths.callState(callId), state);
      if (status >= 300) throw new WebError(status, readProblem(status, json));
    },
    async callEnded(callId, reason) {
      const { status, json } = await call("DELETE", paths.call(callId), { reason });
      if (status >= 300 && status !== 404) throw new WebError(status, readProblem(status, json));
    },
    async progress(callId, progressStatus, reason) {
      const body = reason === undefined ? { status: progressStatus } : { status: progressStatus, reason };
      const { status, json } = await call("POST", paths.progress(callId), body);
      if (status >= 300) throw new WebError(status, readProblem(status, json));
    },
  };
}

// --- HTTP/1.1 on kept-alive connections ---------------------------------------------------------------

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const utf8 = new TextEncoder();
const CRLFCRLF = [13, 10, 13, 10];

function indexOfSeq(buf: Uint8Array, seq: number[], from = 0): number {
  outer: for (let i = from; i + seq.length <= buf.length; i++) {
    for (let j = 0; j < seq.length; j++) if (buf[i + j] !== seq[j]) continue outer;
    return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * One connection, one request at a time. A read is always pending while the connection is idle, so
 * the web app closing it (or sending anything unasked) is seen before the next request would go out
 * on it; that request then takes a new connection instead.
 */
class Http1Connection {
  #conn: Deno.TcpConn;
  #next: Promise<Uint8Array | null> | null = null;
  #data: Uint8Array = new Uint8Array(0);
  busy = false;
  /** Closed, closed by the peer, or in a state where the next response could not be told apart. */
  dead = false;

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    conn.setNoDelay(true);
  }

  /** The next chunk (null at EOF); the pending read is shared with the idle watch. */
  #read(): Promise<Uint8Array | null> {
    if (!this.#next) {
      const buf = new Uint8Array(16 * 1024);
      const next = this.#conn.read(buf).then((n) => (n === null ? null : buf.subarray(0, n)));
      this.#next = next;
      next.then(() => {
        if (!this.busy) this.close(); // EOF or unasked bytes while idle: not reusable
      }, () => this.close());
    }
    return this.#next;
  }

  async #more(): Promise<void> {
    const chunk = await this.#read();
    this.#next = null;
    if (chunk === null) throw new Error("connection closed by the web app");
    this.#data = concat(this.#data, chunk);
  }

  /** Bytes up to and including `n`, waiting for them. */
  async #take(n: number): Promise<Uint8Array> {
    while (this.#data.length < n) await this.#more();
    const out = this.#data.subarray(0, n);
    this.#data = this.#data.subarray(n);
    return out;
  }

  /** One line ending in CRLF (chunked framing), without it. */
  async #line(): Promise<string> {
    let at: number;
    while ((at = indexOfSeq(this.#data, [13, 10])) < 0) {
      if (this.#data.length > MAX_HEAD_BYTES) throw new Error("response line too long");
      await this.#more();
    }
    const line = new TextDecoder().decode(this.#data.subarray(0, at));
    this.#data = this.#data.subarray(at + 2);
    return line;
  }

  async request(head: Uint8Array, body: Uint8Array, method: string): Promise<{ status: number; body: string }> {
    this.busy = true;
    const out = concat(head, body);
    for (let sent = 0; sent < out.length;) sent += await this.#conn.write(out.subarray(sent));
    for (;;) {
      let end: number;
      while ((end = indexOfSeq(this.#data, CRLFCRLF)) < 0) {
        if (this.#data.length > MAX_HEAD_BYTES) throw new Error("response head too large");
        await this.#more();
      }
      const lines = new TextDecoder().decode(this.#data.subarray(0, end)).split("\r\n");
      this.#data = this.#data.subarray(end + 4);
      const m = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0]);
      if (!m) throw new Error(`not an HTTP/1.x response: ${JSON.stringify(lines[0].slice(0, 80))}`);
      const status = Number(m[2]);
      if (status >= 100 && status < 200) continue; // 100 Continue and the like: the answer follows
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        if (colon <= 0) throw new Error("malformed response header");
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
      }
      const connection = (headers.get("connection") ?? "").toLowerCase();
      let keepAlive = m[1] === "1" ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
      let bytes: Uint8Array;
      const te = headers.get("transfer-encoding");
      const cl = headers.get("content-length");
      if (method === "HEAD" || status === 204 || status === 304) {
        bytes = new Uint8Array(0);
      } else if (te !== undefined) {
        if (te.toLowerCase() !== "chunked") throw new Error(`unsupported transfer-encoding ${te}`);
        const parts: Uint8Array[] = [];
        let total = 0;
        for (;;) {
          const size = parseInt((await this.#line()).split(";")[0].trim(), 16);
          if (!Number.isFinite(size) || size < 0) throw new Error("bad chunk size");
          if (size === 0) break;
          total += size;
          if (total > MAX_BODY_BYTES) throw new Error("response body too large");
          parts.push((await this.#take(size)).slice());
          if ((await this.#line()) !== "") throw new Error("bad chunk end");
        }
        while ((await this.#line()) !== ""); // trailers
        bytes = parts.reduce(concat, new Uint8Array(0));
      } else if (cl !== undefined) {
        if (!/^\d{1,10}$/.test(cl) || Number(cl) > MAX_BODY_BYTES) throw new Error(`bad content-length ${cl}`);
        bytes = (await this.#take(Number(cl))).slice();
      } else {
        // Delimited by the end of the connection.
        keepAlive = false;
        for (;;) {
          const chunk = await this.#read();
          this.#next = null;
          if (chunk === null) break;
          this.#data = concat(this.#data, chunk);
          if (this.#data.length > MAX_BODY_BYTES) throw new Error("response body too large");
        }
        bytes = this.#data;
        this.#data = new Uint8Array(0);
      }
      // Anything beyond this response was not asked for: the connection is out of step.
      if (!keepAlive || this.#data.length > 0) this.close();
      return { status, body: new TextDecoder().decode(bytes) };
    }
  }

  /** The request is over: back to idle with a read pending (the watch), unless it is dead. */
  release() {
    this.busy = false;
    if (!this.dead) this.#read();
  }

  close() {
    if (this.dead) return;
    this.dead = true;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }
}

/** Idle connections to one host:port, reused last-in first-out; a new one when none is idle. */
export class Http1Pool {
  #idle: Http1Connection[] = [];
  #all = new Set<Http1Connection>();
  #closed = false;

  constructor(readonly hostname: string, readonly port: number, readonly hostHeader: string, readonly maxIdle = 4) {}

  async request(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string,
    timeoutMs: number,
  ): Promise<{ status: number; body: string }> {
    if (this.#closed) throw new Error("client closed");
    if (!/^\/[\x21-\x7e]*$/.test(path) || !/^[A-Z]+$/.test(method)) throw new Error("bad request line");
    const bytes = utf8.encode(body);
    let head = `${method} ${path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\nContent-Length: ${bytes.length}\r\n`;
    for (const [name, value] of Object.entries(headers)) {
      // Our own names and values (signature, timestamp, type), never the caller's; checked anyway.
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n]/.test(value)) throw new Error("bad header");
      head += `${name}: ${value}\r\n`;
    }
    head += "\r\n";
    let conn: Http1Connection | undefined;
    while ((conn = this.#idle.pop()) && conn.dead) this.#all.delete(conn);
    // One deadline for connecting, sending and the whole answer (as fetch's AbortSignal.timeout was).
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        conn?.close();
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      if (!conn) {
        const connecting = Deno.connect({ hostname: this.hostname, port: this.port });
        // A connection that comes up after the deadline is closed at once.
        connecting.then((tcp) => timedOut && tcp.close(), () => {});
        conn = new Http1Connection(await Promise.race([connecting, deadline]));
        this.#all.add(conn);
      }
      return await Promise.race([conn.request(utf8.encode(head), bytes, method), deadline]);
    } catch (err) {
      conn?.close();
      throw err;
    } finally {
      clearTimeout(timer);
      if (conn) {
        if (conn.dead || this.#closed || this.#idle.length >= this.maxIdle) {
          conn.close();
          this.#all.delete(conn);
        } else {
          conn.release();
          this.#idle.push(conn);
        }
      }
    }
  }

  /** Idle connections still open (tests). */
  get idle(): number {
    return this.#idle.filter((c) => !c.dead).length;
  }

  close() {
    this.#closed = true;
    for (const c of this.#all) c.close();
    this.#all.clear();
    this.#idle = [];
  }
}
