// Test support for suites that run the real gateway (and with it a real Janus): start it as a
// child process on free ports, sign requests, and talk raw Janus API over WebSocket.

import { signedHeaders } from "../../lib/common/signing.ts";
import { freePort } from "./ports.ts";

export { freePort };

const ROOT = new URL("../../", import.meta.url).pathname;

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws `what`). */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${lastError})` : ""}`);
}

export interface RunningGateway {
  url: string;
  secret: string;
  /** Passed in explicitly so tests can check they never show up in output or answers. */
  adminSecret: string;
  adminKey: string;
  janusWsUrl: string;
  dataDir: string;
  pid: number;
  /** Milliseconds from spawn to /health saying janus: connected. */
  startupMs: number;
  /** PID of the Janus the gateway supervises right now (from its pid file), or null. */
  janusPid(): Promise<number | null>;
  health(): Promise<{ ok: boolean; janus: string; rooms: number }>;
  /** A signed request, like the web app sends (with more headers, e.g. Range). */
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `deno run -A gateway/main.ts` on free ports; resolves once Janus is connected. */
export async function startGateway(env: Record<string, string> = {}): Promise<RunningGateway> {
  const port = freePort();
  const wsPort = freePort();
  const adminPort = freePort();
  // A small RTP range per run, so parallel runs rarely overlap (Janus only warns if they do).
  const rtpBase = 40000 + Math.floor(Math.random() * 200) * 100;
  const ownDataDir = env.DATA_DIR === undefined;
  const dataDir = env.DATA_DIR ?? await Deno.makeTempDir({ prefix: "talkspace-gateway-" });
  const secret = env.GATEWAY_SECRET ?? crypto.randomUUID();
  const adminSecret = env.JANUS_ADMIN_SECRET ?? `adm-${crypto.randomUUID()}`;
  const adminKey = env.JANUS_ADMIN_KEY ?? `key-${crypto.randomUUID()}`;
  const url = `http://127.0.0.1:${port}`;
  const janusWsUrl = `ws://127.0.0.1:${wsPort}/`;
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "gateway/main.ts"],
    cwd: ROOT,
    env: {
      // Output is captured (and shown only when a test fails), so keep the info lines.
      TALKSPACE_LOG: "",
      JANUS_ADMIN_SECRET: adminSecret,
      JANUS_ADMIN_KEY: adminKey,
      GATEWAY_PORT: String(port),
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_SECRET: secret,
      JANUS_WS_PORT: String(wsPort),
      JANUS_ADMIN_WS_PORT: String(adminPort),
      JANUS_RTP_PORT_RANGE: `${rtpBase}-${rtpBase + 99}`,
      JANUS_DEBUG_LEVEL: "3",
      DATA_DIR: dataDir,
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const pump = async (stream: ReadableStream<Uint8Array<ArrayBuffer>>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) out += chunk;
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });

  const health = async () => {
    const res = await fetch(`${url}/health`);
    return await res.json();
  };
  const stop = async () => {
    if (!exited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (!exited) child.kill("SIGKILL");
      }, 10_000);
      await status;
      clearTimeout(timer);
    }
    await pumps;
    // The rendered Janus config holds this run's secrets.
    if (ownDataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  };
  const janusPid = async () => {
    try {
      return Number(await Deno.readTextFile(`${dataDir}/janus/janus.pid`));
    } catch {
      return null;
    }
  };

  try {
    await waitFor("gateway /health to say janus connected", async () => {
      if (exited) throw new Error("gateway exited");
      return (await health()).janus === "connected";
    }, 30_000);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- gateway output ---\n${out}`);
  }
  const startupMs = performance.now() - started;

  return {
    url,
    secret,
    adminSecret,
    adminKey,
    janusWsUrl,
    dataDir,
    pid: child.pid,
    startupMs,
    janusPid,
    health,
    async request(method, path, body, extra = {}) {
      const text = body === undefined ? "" : JSON.stringify(body);
      const headers = signedHeaders(secret, method, path, text);
      return await fetch(`${url}${path}`, {
        method,
        headers: { ...headers, ...extra, ...(text ? { "content-type": "application/json" } : {}) },
        body: text || undefined,
      });
    },
    output: () => out,
    stop,
  };
}

export interface JanusMessage {
  janus: string;
  transaction?: string;
  session_id?: number;
  sender?: number;
  data?: { id?: number } & Record<string, unknown>;
  error?: { code: number; reason: string };
  plugindata?: { plugin: string; data: Record<string, unknown> };
}

/** A bare Janus API client (what janus.js does, minus WebRTC), for access-control tests. */
export class RawJanus {
  #ws: WebSocket;
  #pending = new Map<string, (msg: JanusMessage) => void>();
  #next = 0;
  /** Messages that answer no request of ours (plugin notifications such as being kicked). */
  readonly events: JanusMessage[] = [];

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data) as JanusMessage;
      // Acks only say "received"; the answer to a plugin message comes later as an event.
      if (msg.janus === "ack") return;
      const resolve = msg.transaction ? this.#pending.get(msg.transaction) : undefined;
      if (resolve) {
        this.#pending.delete(msg.transaction!);
        resolve(msg);
      } else {
        this.events.push(msg);
      }
    };
  }

  static open(url: string): Promise<RawJanus> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, "janus-protocol");
      ws.onopen = () => resolve(new RawJanus(ws));
      ws.onerror = () => reject(new Error(`cannot open ${url}`));
    });
  }

  /** Sends one request and resolves with Janus's answer to it (success, error or plugin event). */
  send(request: Record<string, unknown>, timeoutMs = 5000): Promise<JanusMessage> {
    const transaction = `t${++this.#next}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(transaction);
        reject(new Error(`no answer to ${request.janus} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(transaction, (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      this.#ws.send(JSON.stringify({ ...request, transaction }));
    });
  }

  createSession(token?: string) {
    return this.send({ janus: "create", ...(token ? { token } : {}) });
  }

  attach(sessionId: number, plugin: string, token?: string) {
    return this.send({ janus: "attach", session_id: sessionId, plugin, ...(token ? { token } : {}) });
  }

  message(sessionId: number, handleId: number, body: Record<string, unknown>, token?: string) {
    return this.send({
      janus: "message",
      session_id: sessionId,
      handle_id: handleId,
      body,
      ...(token ? { token } : {}),
    });
  }

  close() {
    this.#ws.close();
  }
}
