// Pre-bound UDP sockets for dial-in relays, so binding is not on the INVITE → 200 path: a caller-facing
// socket on a free port of SIP_RTP_PORT_RANGE (random start, then upward) with its Janus-facing
// partner (port 0 on the Janus side). A few pairs are kept ready; taking one schedules a refill after
// the current turn of the event loop, and a pair that was taken but never advertised (the call was
// refused) goes back. A pooled socket has no reader and no one knows its port, so nothing arrives on it.

import { logger } from "../../lib/common/log.ts";

const log = logger("calls");

export interface SocketPair {
  caller: Deno.DatagramConn;
  janus: Deno.DatagramConn;
}

export interface PortPoolOptions {
  /** Where caller-facing sockets bind (SIP_HOST). */
  callerHost: string;
  /** Where Janus-facing sockets bind (Janus is local). */
  janusHost: string;
  range: [number, number];
  /** Pairs kept bound ahead of calls (0: bind on demand only). */
  size?: number;
}

function close(conn: Deno.DatagramConn) {
  try {
    conn.close();
  } catch { /* already closed */ }
}

export class RtpPortPool {
  #options: PortPoolOptions;
  #size: number;
  #ready: SocketPair[] = [];
  #refill: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: PortPoolOptions) {
    this.#options = options;
    this.#size = options.size ?? 2;
  }

  /** Pairs bound and waiting (diagnostics, tests). */
  get ready(): number {
    return this.#ready.length;
  }

  /** A caller-facing socket on a free port of the range; throws when the range is full. */
  bindCaller(): Deno.DatagramConn {
    const [lo, hi] = this.#options.range;
    const span = hi - lo + 1;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const port = lo + ((start + i) % span);
      try {
        return Deno.listenDatagram({ transport: "udp", hostname: this.#options.callerHost, port });
      } catch (err) {
        if (!(err instanceof Deno.errors.AddrInUse)) throw err;
      }
    }
    throw new Error(`no free RTP port in ${lo}-${hi}`);
  }

  /** A Janus-facing socket on any free port. */
  bindJanus(): Deno.DatagramConn {
    return Deno.listenDatagram({ transport: "udp", hostname: this.#options.janusHost, port: 0 });
  }

  #bindPair(): SocketPair {
    const caller = this.bindCaller();
    try {
      return { caller, janus: this.bindJanus() };
    } catch (err) {
      close(caller);
      throw err;
    }
  }

  /** A ready pair (or one bound now when none is); the caller owns it from here on. */
  take(): SocketPair {
    const pair = this.#ready.pop() ?? this.#bindPair();
    this.#scheduleRefill();
    return pair;
  }

  /** A pair that was taken but never used (its port was never sent to anyone). */
  giveBack(pair: SocketPair) {
    if (this.#closed || this.#ready.length >= this.#size) {
      close(pair.caller);
      close(pair.janus);
      return;
    }
    this.#ready.push(pair);
  }

  #scheduleRefill() {
    if (this.#closed || this.#refill !== undefined || this.#ready.length >= this.#size) return;
    // After this turn: the call that took a pair answers first, binding comes when the loop is free.
    this.#refill = setTimeout(() => {
      this.#refill = undefined;
      try {
        while (!this.#closed && this.#ready.length < this.#size) this.#ready.push(this.#bindPair());
      } catch (err) {
        // A full range: calls bind on demand (and fail there, with the reason, if it stays full).
        log.warn("pre-binding RTP ports failed", { error: (err as Error).message });
      }
    }, 0);
  }

  /** Closes the ready pairs; later takes bind on demand and nothing is kept. */
  close() {
    this.#closed = true;
    clearTimeout(this.#refill);
    this.#refill = undefined;
    for (const pair of this.#ready.splice(0)) {
      close(pair.caller);
      close(pair.janus);
    }
  }
}
