// Test support for the SIP suites: an in-process endpoint on a free port, sipp runs stopped by PID
// with a deadline, and a raw UDP/TCP client for what sipp cannot express.

import { setQuiet } from "../../lib/common/log.ts";
import nodeAssert from "node:assert/strict";
import { parseMessage, type SipRequest, type SipResponse } from "../../gateway/sip/message.ts";
import { SipEndpoint, type SipEndpointOptions } from "../../gateway/sip/endpoint.ts";
import { freePort } from "../support/ports.ts";

export { freePort };

setQuiet(true);

export const SCENARIOS = new URL("./scenarios/", import.meta.url).pathname;

/** Short timers so Timer H/J/L/M and friends finish within a test. */
export const FAST_TIMERS = { t1: 50, t2: 400, t4: 250 };

export function startEndpoint(options: Partial<SipEndpointOptions> = {}): SipEndpoint {
  const ep = new SipEndpoint({ host: "127.0.0.1", port: 0, timers: FAST_TIMERS, ...options });
  ep.start();
  return ep;
}

/** Polls until `check` is truthy; throws after `timeoutMs` naming what it waited for. */
export async function waitFor<T>(what: string, check: () => T, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = check();
    if (v) return v as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits until the endpoint holds no transactions, timers, dialogs or calls. */
export function settled(ep: SipEndpoint, timeoutMs = 10_000) {
  return waitFor("endpoint to return to zero", () => {
    const s = ep.stats();
    return s.serverTransactions + s.clientTransactions + s.timers + s.dialogs + s.calls === 0 ? s : null;
  }, timeoutMs);
}

export interface SippResult {
  code: number;
  stdout: string;
  stderr: string;
  dir: string;
}

/** A running sipp; `done` resolves when it exits (killed by PID at the deadline). */
export function spawnSipp(
  args: string[],
  timeoutMs = 30_000,
  port = freePort(),
): { pid: number; done: Promise<SippResult> } {
  const dir = Deno.makeTempDirSync({ prefix: "sipp-" });
  const child = new Deno.Command("sipp", {
    args: [
      "-nostdin",
      "-i",
      "127.0.0.1",
      "-p",
      String(port),
      "-timeout",
      `${Math.ceil(timeoutMs / 1000)}s`,
      "-timeout_error",
      ...args,
    ],
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const killer = setTimeout(() => {
    try {
      Deno.kill(child.pid, "SIGKILL");
    } catch { /* already gone */ }
  }, timeoutMs + 5_000);
  const done = child.output().then((out) => {
    clearTimeout(killer);
    const td = new TextDecoder();
    return { code: out.code, stdout: td.decode(out.stdout), stderr: td.decode(out.stderr), dir };
  });
  return { pid: child.pid, done };
}

/** Runs a scenario file from tests/sip/scenarios against the endpoint; one call unless `-m` is given. */
export function sipp(ep: SipEndpoint, scenario: string, extra: string[] = [], timeoutMs = 30_000) {
  const m = extra.includes("-m") ? [] : ["-m", "1"];
  return spawnSipp([`127.0.0.1:${ep.port}`, "-sf", SCENARIOS + scenario, ...m, ...extra], timeoutMs).done;
}

export function explain(r: SippResult): string {
  let errors = "";
  for (const f of Deno.readDirSync(r.dir)) {
    if (f.name.endsWith("_errors.log")) errors += Deno.readTextFileSync(`${r.dir}/${f.name}`).slice(-3000);
  }
  return `sipp exited ${r.code}\n${r.stderr.slice(-2000)}\n${errors}`;
}

/** A raw UDP peer: send text, collect parsed messages. */
export class RawUdp {
  sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  messages: (SipRequest | SipResponse)[] = [];
  /** Every datagram as text, including ones our parser would not accept (lenient 400s). */
  raw: string[] = [];
  #loop: Promise<void>;
  #closed = false;
  #waiters: (() => void)[] = [];

  constructor(readonly target: number) {
    this.#loop = (async () => {
      while (!this.#closed) {
        try {
          const [data] = await this.sock.receive();
          this.raw.push(new TextDecoder().decode(data));
          const p = parseMessage(data);
          if (p.kind === "request") this.messages.push(p.request);
          if (p.kind === "response") this.messages.push(p.response);
          for (const w of this.#waiters.splice(0)) w();
        } catch {
          return;
        }
      }
    })();
  }

  /** Resolves as soon as a message satisfying `pick` has arrived (no polling: used for timing). */
  async next<T>(what: string, pick: () => T | undefined, timeoutMs = 3_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const found = pick();
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(0, deadline - Date.now()) + 1);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  get port(): number {
    return (this.sock.addr as Deno.NetAddr).port;
  }

  send(data: string | Uint8Array): Promise<number> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    return this.sock.send(bytes, { transport: "udp", hostname: "127.0.0.1", port: this.target });
  }

  responses(callId: string): SipResponse[] {
    return this.messages.filter((m): m is SipResponse =>
      "statusCode" in m && m.statusCode !== undefined && m.callId === callId
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.sock.close();
    await this.#loop;
  }
}

/** A request as text with CRLF line ends and a correct Content-Length (unless one is given). */
export function sipText(lines: string[], body = ""): string {
  const hasLength = lines.some((l) => /^(content-length|l)\s*:/i.test(l));
  const all = hasLength ? lines : [...lines, `Content-Length: ${new TextEncoder().encode(body).length}`];
  return all.join("\r\n") + "\r\n\r\n" + body;
}

export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

/**
 * Sends one message on a fresh TCP connection and reads until EOF. With `halfClose` we signal our end
 * at once (the server answers, then closes); without it only the server can end the exchange, so
 * EOF before the deadline proves the server closed the connection itself.
 */
export async function tcpExchange(
  port: number,
  bytes: Uint8Array,
  halfClose: boolean,
): Promise<{ raws: string[]; closedByServer: boolean }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(bytes);
  if (halfClose) await conn.closeWrite();
  const buf: number[] = [];
  const chunk = new Uint8Array(65536);
  let closedByServer = !halfClose;
  const deadline = setTimeout(() => {
    closedByServer = false;
    conn.close();
  }, 3_000);
  try {
    while (true) {
      const n = await conn.read(chunk).catch(() => null);
      if (n === null) break;
      buf.push(...chunk.subarray(0, n));
    }
  } finally {
    clearTimeout(deadline);
    try {
      conn.close();
    } catch { /* closed */ }
  }
  const text = new TextDecoder().decode(new Uint8Array(buf));
  return { raws: text.split(/(?=SIP\/2\.0 \d{3} )/).filter(Boolean), closedByServer };
}
